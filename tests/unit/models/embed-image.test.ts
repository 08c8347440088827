// `embed image` through dispatch: the images are embedded in the embedding worker, with
// progress per file and cancel, and a scene-sized file is refused with the size message.
import { readIndexFile } from '../../../src-main/core/index/index-store.ts';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readFixtureJson, fixture } from '../../helpers/fixtures.ts';
import { demoScene, makeHarness, type Harness } from '../../helpers/harness.ts';

const chips = readFixtureJson<{ images: { file: string }[] }>('openclip-ref', 'expected.json').images.map((i) => fixture('msclip-examples', i.file));
let h: Harness;

beforeAll(async () => {
  h = await makeHarness();
});
afterAll(() => h.cleanup());

test('each chip gets a unit embedding, the same one as its single-tile index; progress counts files', async () => {
  h.events.length = 0;
  const r = await h.ok('embedImage', { files: chips });
  expect(r.modelId).toBe('mslens-spectral');
  expect(r.items.map((it) => it.file)).toEqual(chips);
  for (const it of r.items) expect(Math.hypot(...it.embedding)).toBeCloseTo(1, 4);
  const progress = h.events.filter((e) => e.op === 'embedImage');
  expect(progress.map((e) => e.done)).toEqual([0, 1, 2, 3, 4, 5]);
  expect(progress.every((e) => e.total === 5)).toBe(true);

  const { tiles } = await readIndexFile((await h.ok('buildIndex', { scene: chips[0], minValid: 0 })).path);
  expect(tiles.embeddings.length).toBe(r.items[0].embedding.length);
  tiles.embeddings.forEach((v, d) => expect(r.items[0].embedding[d]).toBeCloseTo(v, 5));
});

test('a cancelled embed stops between files', async () => {
  const controller = new AbortController();
  h.events.length = 0;
  const files = Array.from({ length: 400 }, (_, i) => chips[i % chips.length]);
  const pending = h.call('embedImage', { files }, controller.signal);
  const deadline = performance.now() + 30_000;
  while (!h.events.some((e) => e.op === 'embedImage' && e.done >= 2) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  controller.abort();
  const r = await pending;
  expect(r.ok ? null : r.error).toMatchObject({ code: 'CANCELLED', message: 'Embedding the images was cancelled.' });
  expect(h.events.filter((e) => e.op === 'embedImage').at(-1)!.done).toBeLessThan(files.length);
});

test('a scene-sized file is refused with the size message, naming the file', async () => {
  const { scenePath } = await demoScene(2240);
  const r = await h.call('embedImage', { files: [chips[0], scenePath] });
  expect(r.ok ? null : r.error).toMatchObject({
    code: 'BAD_ARGUMENT',
    message: 'demo-s2l2a-2240.tif is 2240×2240 px; embed image takes single tiles up to 2048 px, square for this model. Index it as a scene instead.',
    action: { kind: 'build-index', scene: scenePath },
  });
});
