/**
 * The install-time int8 check (checkInt8Variant) on the reference model
 * (tests/fixtures/openclip-ref): it covers the five real chips shipped with the app
 * (models/check-chips) and the demo scene, records each source's figures, passes only when
 * both pass, reports progress tile by tile, and can be cancelled.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultBuiltInModelsDir } from '../../../../src-main/core/app-paths.ts';
import { MslensError } from '../../../../src-main/core/errors.ts';
import { clipManifest } from '../../../../src-main/core/models/import-model.ts';
import { ManifestSchema, imageEncoderFor, type InstalledModel, type OnnxFileRef } from '../../../../src-main/core/models/manifest.ts';
import { convertOpenClipCheckpoint } from '../../../../src-main/core/models/openclip/index.ts';
import { CHECK_CHIPS_FOLDER, checkInt8Variant } from '../../../../src-main/core/models/variant-check.ts';
import { CHIPS, OPENCLIP_REF, readRefConfig } from './reference-fixtures.ts';

let dir: string;
let model: InstalledModel;
let int8: OnnxFileRef;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mslens-int8-check-'));
  const c = await convertOpenClipCheckpoint({ source: join(OPENCLIP_REF, 'checkpoint.pt'), config: readRefConfig().open_clip_registered_config, outDir: dir, variants: ['fp32', 'int8'] });
  const manifest = clipManifest({ id: 'ref' }, c);
  model = { manifest, dir, builtIn: false };
  const e = c.imageEncoders.int8!;
  int8 = { file: e.file, sha256: e.sha256, input: e.input, output: e.output };
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('the chips the app ships for the check', () => {
  it('are the five real chips of tests/fixtures, with their licence', () => {
    const shipped = join(defaultBuiltInModelsDir(), CHECK_CHIPS_FOLDER);
    const tifs = readdirSync(shipped).filter((f) => f.endsWith('.tif')).sort();
    expect(tifs).toEqual(readdirSync(CHIPS).filter((f) => f.endsWith('.tif')).sort());
    for (const f of tifs) expect(sha(join(shipped, f))).toBe(sha(join(CHIPS, f)));
    expect(readFileSync(join(shipped, 'README.md'), 'utf8')).toMatch(/CC-BY-SA-4\.0[\s\S]*MajorTOM[\s\S]*TerraMesh[\s\S]*ESA Copernicus/);
  });
});

describe('checkInt8Variant', () => {
  it('checks the real chips and the demo scene, records both, and reports progress per tile', async () => {
    const progress: [number, number, string][] = [];
    const check = await checkInt8Variant(model, int8, { onProgress: (d, t, m) => progress.push([d, t, m]) });
    expect(check.sources?.realChips.tiles).toBe(5);
    expect(check.sources?.demoScene.tiles).toBe(100);
    expect(check.tiles).toBe(105);
    const { realChips, demoScene } = check.sources!;
    // measured: min cosine 0.99985 (chips) and 0.99990 (demo), top-1 5/5 and 100/100
    expect(realChips.minCosine).toBeGreaterThanOrEqual(0.9995);
    expect(demoScene.minCosine).toBeGreaterThanOrEqual(0.9995);
    expect(check.minCosine).toBe(Math.min(realChips.minCosine, demoScene.minCosine));
    expect(check.passed).toBe(realChips.passed && demoScene.passed);
    expect(check.passed).toBe(true);
    // the manifest takes it as is, and int8 becomes the CPU default
    const manifest = ManifestSchema.parse({ ...model.manifest, imageEncoder: { ...model.manifest.imageEncoder, variants: { int8: { ...int8, check } } } });
    expect(manifest.imageEncoder.variants?.int8?.check).toEqual(check);
    expect(imageEncoderFor(manifest, 'cpu').precision).toBe('int8');
    // progress: tiles embedded by both models, in order, up to the total
    const total = 2 * 105;
    expect(progress.every(([, t]) => t === total)).toBe(true);
    const done = progress.map(([d]) => d);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(done.at(-1)).toBe(total);
    expect(progress.some(([, , m]) => /real chips/.test(m))).toBe(true);
    expect(progress.some(([, , m]) => /demo scene/.test(m))).toBe(true);
  });

  it('fails when one source fails, and then float32 stays the CPU default', async () => {
    // a variant that is float32 itself passes; one whose weights are another model's fails on both
    const check = await checkInt8Variant(model, { ...int8, file: model.manifest.imageEncoder.file }, { demoSize: 448 });
    expect(check).toMatchObject({ passed: true, minCosine: 1, top1Agreement: 1, tiles: 9 });
    const failing = { ...check, sources: { ...check.sources!, realChips: { ...check.sources!.realChips, passed: false } }, passed: false };
    const manifest = ManifestSchema.parse({ ...model.manifest, imageEncoder: { ...model.manifest.imageEncoder, variants: { int8: { ...int8, check: failing } } } });
    expect(imageEncoderFor(manifest, 'cpu').precision).toBe('fp32');
  });

  it('stops when cancelled, mid-way', async () => {
    const ac = new AbortController();
    const err = await checkInt8Variant(model, int8, { signal: ac.signal, onProgress: (d) => { if (d >= 8) ac.abort(); } }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(MslensError);
    expect((err as MslensError).code).toBe('CANCELLED');
  });

  it('says what to do when the chips are missing or are not chips', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'mslens-no-chips-'));
    try {
      await expect(checkInt8Variant(model, int8, { chipsDir: empty, demoSize: 448 })).rejects.toThrow(/chip .*282D_485L_3_3\.tif that the int8 check needs could not be read.*Reinstall mslens\./);
      writeFileSync(join(empty, '282D_485L_3_3.tif'), readFileSync(join(OPENCLIP_REF, 'config.json')));
      await expect(checkInt8Variant(model, int8, { chipsDir: empty, demoSize: 448 })).rejects.toThrow(/Reinstall mslens\./);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
