// Model files are checked against their manifest's sha256 at load, through the registry every
// operation uses; what matched is remembered by size and mtime, so it is not hashed again.
import { cp, readFile, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { defaultBuiltInModelsDir } from '../../../src-main/core/app-paths.ts';
import { findModel, verifiedStore, type ModelDirs } from '../../../src-main/core/models/registry.ts';
import { verifyModelFiles } from '../../../src-main/core/models/verify-model.ts';
import { makeHarness, type Harness } from '../../helpers/harness.ts';

let h: Harness;
let dirs: ModelDirs;
let dir: string;
const ID = 'copied-spectral';

beforeAll(async () => {
  h = await makeHarness();
  dirs = { builtIn: defaultBuiltInModelsDir(), installed: join(h.home, 'models') };
});
afterAll(() => h.cleanup());
beforeEach(async () => {
  // An installed (not built-in) model: the built-in one's files under another id.
  dir = join(dirs.installed, ID);
  await rm(dir, { recursive: true, force: true });
  await cp(join(dirs.builtIn, 'mslens-spectral'), dir, { recursive: true });
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, id: ID }));
  await rm(verifiedStore(dirs), { force: true });
});

test('an unchanged model is hashed on its first load only', async () => {
  const model = await findModel(dirs, ID);
  const store = JSON.parse(await readFile(verifiedStore(dirs), 'utf8'));
  expect(Object.keys(store.files).sort()).toEqual([join(dir, 'image-encoder.onnx'), join(dir, 'lexicon.json')]);
  expect(await verifyModelFiles(model, { store: verifiedStore(dirs) })).toEqual({ hashed: [] });
  // Without the store every file is hashed: the store is what saves the work.
  expect(await verifyModelFiles(model)).toEqual({ hashed: ['image-encoder.onnx', 'lexicon.json'] });
});

test('a changed ONNX file of the same size is refused at load', async () => {
  await findModel(dirs, ID);
  const onnx = join(dir, 'image-encoder.onnx');
  const before = await stat(onnx);
  const bytes = await readFile(onnx);
  bytes[bytes.length - 10] ^= 0xff;
  await writeFile(onnx, bytes);
  // A later mtime (what any edit leaves) makes it hashed again, and refused.
  await utimes(onnx, before.atime, new Date(before.mtimeMs + 2000));
  const r = await h.call('embedText', { model: ID, texts: ['water'] });
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.error.code).toBe('MODEL_LOAD_FAILED');
  expect(r.error.message).toBe('Built-in spectral model: image-encoder.onnx is not the file that was installed (its checksum differs: it was changed or is damaged), so it was not loaded. Import its checkpoint again to replace it.');
  // Refused again on the next load: a mismatch is never remembered as verified.
  await expect(findModel(dirs, ID)).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED' });
});

test('a truncated ONNX file is refused at load', async () => {
  await findModel(dirs, ID);
  await truncate(join(dir, 'image-encoder.onnx'), 100);
  await expect(findModel(dirs, ID)).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED', message: expect.stringMatching(/image-encoder\.onnx is not the file that was installed/) });
});

test('a missing file is named, with what to do', async () => {
  await rm(join(dir, 'lexicon.json'));
  await expect(findModel(dirs, ID)).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED', message: 'Built-in spectral model is missing lexicon.json, so it can\'t be loaded. Import its checkpoint again to replace it.' });
});

test('the built-in model is verified too', async () => {
  const model = await findModel(dirs, 'mslens-spectral');
  expect(model.builtIn).toBe(true);
  expect(await verifyModelFiles(model, { store: verifiedStore(dirs) })).toEqual({ hashed: [] });
});
