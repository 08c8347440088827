// Installing Llama3-MS-CLIP as a user would, against a local HTTP server on 127.0.0.1 that
// serves a full-size ViT-B/16 checkpoint in the real key layout (random weights) and cuts the
// connection once: licence, resumed download, checksum, conversion, int8 check, use.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { REPO, makeHarness, type Harness } from '../../helpers/harness.ts';
import { writeFullSizeCheckpoint } from './openclip/full-size-checkpoint.ts';

let h: Harness;
let dir: string;
let server: Server;
let url: string;
const ranges: (string | undefined)[] = [];

beforeAll(async () => {
  h = await makeHarness();
  dir = await mkdtemp(join(tmpdir(), 'mslens-install-'));
  const file = join(dir, 'Llama3_MS_CLIP_weights.pt');
  await writeFullSizeCheckpoint(file);
  const size = statSync(file).size;
  const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
  let cut = true;
  server = createServer((req, res) => {
    ranges.push(req.headers.range);
    const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
    res.writeHead(start ? 206 : 200, { 'content-length': String(size - start), etag: '"v1"', 'x-linked-etag': `"${sha}"`, ...(start ? { 'content-range': `bytes ${start}-${size - 1}/${size}` } : {}) });
    const stream = createReadStream(file, { start });
    if (cut) {
      cut = false;
      let sent = 0;
      stream.on('data', (chunk) => { sent += chunk.length; if (sent > size / 2) { stream.destroy(); res.socket?.destroy(); } });
    }
    stream.pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/resolve/main/Llama3_MS_CLIP_weights.pt`;
}, 120_000);
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
  await h.cleanup();
});

test('without accepting the licence nothing is downloaded, and the licence is shown', async () => {
  const r = await h.call('installModel', { id: 'llama3-ms-clip', url });
  if (r.ok) throw new Error('expected an error');
  expect(r.error.code).toBe('LICENCE_NOT_ACCEPTED');
  expect(r.error.message).toMatch(/Llama 3 Community License/);
  expect(r.error.action).toEqual({ kind: 'accept-licence', model: 'llama3-ms-clip' });
  expect(ranges).toEqual([]);
  const cli = spawnSync(process.execPath, [join(REPO, 'bin/mslens.mjs'), 'models', 'install', 'llama3-ms-clip', '--url', url], { encoding: 'utf8', env: { ...process.env, MSLENS_HOME: h.home }, stdio: ['ignore', 'pipe', 'pipe'] });
  expect(cli.status).toBe(1);
  expect(cli.stderr).toMatch(/Llama 3 Community License/);
  expect(cli.stderr).toMatch(/--accept-licence/);
});

test('an unknown model id names the ones there are', async () => {
  const r = await h.call('installModel', { id: 'gpt-earth', acceptLicence: true });
  expect(!r.ok && r.error.message).toMatch(/known: llama3-ms-clip/);
});

test('install: resumed download, checksum, conversion and int8 check, then the model works', async () => {
  h.events.length = 0;
  const m = await h.ok('installModel', { id: 'llama3-ms-clip', acceptLicence: true, url });
  expect(m).toMatchObject({ id: 'llama3-ms-clip', kind: 'clip', licence: 'llama3', embeddingDim: 512, inputSize: 224 });
  expect(ranges[0]).toBeUndefined();
  expect(ranges[1]).toMatch(/^bytes=\d+-$/);
  const messages = new Set(h.events.map((e) => e.message.replace(/ \(.*/, '')));
  expect([...messages]).toEqual(expect.arrayContaining(['Downloading Llama3_MS_CLIP_weights.pt', 'Step 1 of 3: Converting to ONNX', 'Step 2 of 3: Checking the int8 encoder against float32', 'Step 3 of 3: Writing the model manifest']));
  // The download is gone; the model folder holds the converted encoders and the manifest.
  expect(readdirSync(join(h.home, 'downloads'))).toEqual([]);
  const files = readdirSync(join(h.home, 'models', 'llama3-ms-clip')).sort();
  expect(files).toEqual(expect.arrayContaining(['manifest.json', 'image-encoder.fp32.onnx', 'image-encoder.fp16.onnx', 'image-encoder.int8.onnx', 'text-encoder.fp32.onnx']));
  const manifest = JSON.parse(readFileSync(join(h.home, 'models', 'llama3-ms-clip', 'manifest.json'), 'utf8'));
  expect(manifest.licence).toEqual({ id: 'llama3', url: expect.stringMatching(/^https:/) });
  expect(manifest.imageEncoder.variants.int8.check).toMatchObject({ tiles: 105, sources: { realChips: { tiles: 5 }, demoScene: { tiles: 100 } } });
  const e = await h.ok('embedText', { model: 'llama3-ms-clip', texts: ['solar farm', 'flooded fields'] });
  const t = e.items[0].tokens;
  expect([t.length, t[0], t[3], ...new Set(t.slice(4))]).toEqual([77, 49406, 49407, 0]); // "solar" "farm" between the markers
  const norm = Math.hypot(...e.items[1].embedding);
  expect(norm).toBeCloseTo(1, 5);
}, 300_000);
