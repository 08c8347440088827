// A CLIP model end to end through dispatch, against outputs of the upstream Python code
// (tests/fixtures/openclip-ref): import, token ids, text and image embeddings, then the
// five chips indexed as tiles, classified (softmax(100·cos)) and searched (cosine).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readIndexFile } from '../../../src-main/core/index/index-store.ts';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MSCLIP_TEMPLATES } from '../../../src-main/core/models/msclip-templates.ts';
import { makeHarness, type Harness } from '../../helpers/harness.ts';
import { readFixtureJson, fixture } from '../../helpers/fixtures.ts';

interface Expected {
  images: { file: string; embedding: number[] }[];
  texts: { text: string; token_ids: number[]; embedding: number[] }[];
  zero_shot: { class_names: string[]; classifier: number[][]; probs: number[][] };
  retrieval: { query: string; query_token_ids: number[]; images: string[]; cosine_similarity: number[] };
}

const expected = readFixtureJson<Expected>('openclip-ref', 'expected.json');
const chips = expected.images.map((i) => fixture('msclip-examples', i.file));
const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
let h: Harness;

beforeAll(async () => {
  h = await makeHarness();
  const config = join(h.home, 'msclip-tiny.json');
  writeFileSync(config, JSON.stringify(readFixtureJson<{ open_clip_registered_config: object }>('openclip-ref', 'config.json').open_clip_registered_config));
  const m = await h.ok('importModel', { checkpoint: fixture('openclip-ref', 'checkpoint.pt'), config, id: 'msclip-tiny', name: 'MS-CLIP tiny reference' });
  expect(m).toMatchObject({ id: 'msclip-tiny', kind: 'clip', embeddingDim: 32, inputSize: 224, bands: ['B02', 'B03', 'B04', 'B05', 'B06', 'B07', 'B08', 'B8A', 'B11', 'B12'] });
  // The reference comparisons are of the float32 model.
  expect((await h.ok('updateSettings', { precision: 'fp32' })).precision).toBe('fp32');
});
afterAll(() => h.cleanup());

test('the prompt templates are upstream MS-CLIP\'s', () => {
  expect(MSCLIP_TEMPLATES).toEqual(readFixtureJson<{ templates: string[] }>('msclip-templates.json').templates);
});

describe('embed', () => {
  test('text: every token id exactly, every embedding within 1e-5', async () => {
    const r = await h.ok('embedText', { model: 'msclip-tiny', texts: expected.texts.map((t) => t.text) });
    r.items.forEach((it, i) => {
      expect(it.tokens).toEqual(expected.texts[i].token_ids);
      expect(maxAbs(it.embedding, expected.texts[i].embedding)).toBeLessThanOrEqual(1e-5);
    });
  });

  test('image: the five chips within 1e-5', async () => {
    const r = await h.ok('embedImage', { model: 'msclip-tiny', files: chips });
    r.items.forEach((it, i) => expect(maxAbs(it.embedding, expected.images[i].embedding)).toBeLessThanOrEqual(1e-5));
  });
});

describe('the five chips indexed as tiles', () => {
  let indexes: string[];
  beforeAll(async () => {
    indexes = [];
    for (const scene of chips) indexes.push((await h.ok('buildIndex', { scene, model: 'msclip-tiny' })).path);
  });

  test('classify reproduces the zero-shot probabilities within 1e-4', async () => {
    const r = await h.ok('classify', { index: indexes, classes: expected.zero_shot.class_names });
    r.tiles.forEach((t, i) => {
      const probs = expected.zero_shot.class_names.map((c) => t.probs[c]);
      expect(maxAbs(probs, expected.zero_shot.probs[i])).toBeLessThanOrEqual(1e-4);
    });
  });

  test('search scores are the retrieval cosines within 1e-5', async () => {
    const r = await h.ok('search', { index: indexes, text: expected.retrieval.query, topK: 5, allScores: true });
    const bySceneFile = new Map(r.allScores!.map((s) => [s.tile.split('/')[0], s.score]));
    const ours = expected.retrieval.images.map((f) => bySceneFile.get(f.replace(/\.tif$/, ''))!);
    expect(maxAbs(ours, expected.retrieval.cosine_similarity)).toBeLessThanOrEqual(1e-5);
  });
});

describe('the int8 variant', () => {
  test('the import checked it against float32 on the demo scene and recorded the result', async () => {
    const manifest = JSON.parse(readFileSync(join(h.home, 'models', 'msclip-tiny', 'manifest.json'), 'utf8'));
    const check = manifest.imageEncoder.variants.int8.check;
    expect(check.tiles).toBe(105); // 5 real chips + 100 demo tiles
    expect(check.sources.realChips.tiles).toBe(5);
    expect(check.sources.demoScene.tiles).toBe(100);
    expect(check.minCosine).toBeGreaterThan(0.99);
    expect(check.passed).toBe(check.top1Agreement >= 0.99 && check.minCosine >= 0.99);
    expect(Object.keys(manifest.imageEncoder.variants).sort()).toEqual(['fp16', 'int8']);
  });

  test('with precision auto, indexing on CPU uses int8 when it passed, and stays close to float32', async () => {
    const scene = chips[0];
    const fp32 = await readIndexFile((await h.ok('buildIndex', { scene, model: 'msclip-tiny' })).path);
    await h.ok('updateSettings', { precision: 'auto' });
    try {
      const auto = await readIndexFile((await h.ok('buildIndex', { scene, model: 'msclip-tiny' })).path);
      const manifest = JSON.parse(readFileSync(join(h.home, 'models', 'msclip-tiny', 'manifest.json'), 'utf8'));
      const { int8 } = manifest.imageEncoder.variants;
      expect(auto.meta.modelSha256).toBe(int8.check.passed ? int8.sha256 : manifest.imageEncoder.sha256);
      let dot = 0;
      for (let d = 0; d < 32; d++) dot += auto.tiles.embeddings[d] * fp32.tiles.embeddings[d];
      expect(dot).toBeGreaterThan(0.99);
    } finally {
      await h.ok('updateSettings', { precision: 'fp32' });
    }
  });
});

test('the spectral lexicon does not apply: any text works with a CLIP model', async () => {
  const r = await h.ok('embedText', { model: 'msclip-tiny', texts: ['solar farm'] });
  expect(r.items[0].embedding).toHaveLength(32);
});

test('models list shows the imported model next to the built-in one', async () => {
  const r = await h.ok('listModels', {});
  expect(r.models.map((m) => m.id)).toEqual(['mslens-spectral', 'msclip-tiny']);
});

test('a broken config is a clear error and installs nothing', async () => {
  const bad = join(h.home, 'bad.json');
  writeFileSync(bad, '{"embed_dim": 32}');
  const r = await h.call('importModel', { checkpoint: fixture('openclip-ref', 'checkpoint.pt'), config: bad, id: 'broken' });
  expect(!r.ok && r.error.message).toMatch(/open_clip config/);
  expect(readdirSync(join(h.home, 'models')).filter((f) => f !== '.verified.json')).toEqual(['msclip-tiny']);
});
