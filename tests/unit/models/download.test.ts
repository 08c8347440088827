// Resumable, checksummed downloads against a local HTTP server on 127.0.0.1 that serves the
// reference checkpoint, cuts the connection once midway, and honours Range requests.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { download } from '../../../src-main/core/models/download.ts';
import { fixture } from '../../helpers/fixtures.ts';

const body = readFileSync(fixture('openclip-ref', 'checkpoint.pt'));
const sha = createHash('sha256').update(body).digest('hex');
let server: Server;
let base: string;
let dir: string;
let cutsLeft = 0;
const requests: { range: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push({ range: req.headers.range });
    if (req.url === '/missing.pt') { res.writeHead(404).end(); return; }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    const headers = { 'content-length': String(body.length - start), etag: '"v1"', 'x-linked-etag': `"${req.url === '/wrong-hash.pt' ? '0'.repeat(64) : sha}"` };
    res.writeHead(m ? 206 : 200, m ? { ...headers, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : headers);
    if (cutsLeft > 0) {
      cutsLeft--;
      res.write(body.subarray(start, start + Math.floor((body.length - start) / 3)), () => res.socket?.destroy());
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(async () => {
  requests.length = 0;
  dir = await mkdtemp(join(tmpdir(), 'mslens-dl-'));
});

test('a cut connection is resumed with a Range request, and the file checks out', async () => {
  cutsLeft = 1;
  const progress: number[] = [];
  const r = await download({ url: `${base}/ckpt.pt`, dest: join(dir, 'ckpt.pt'), backoffMs: 10, onProgress: (d) => progress.push(d) });
  expect(r).toMatchObject({ sha256: sha, bytes: body.length, resumed: true });
  expect(requests).toHaveLength(2);
  expect(requests[0].range).toBeUndefined();
  const from = Number(/^bytes=(\d+)-$/.exec(requests[1].range ?? '')?.[1]);
  expect(from).toBeGreaterThan(0);
  expect(from).toBeLessThanOrEqual(Math.floor(body.length / 3));
  expect(readFileSync(r.path).equals(body)).toBe(true);
  expect(progress.at(-1)).toBe(body.length);
  expect(await readdir(dir)).toEqual(['ckpt.pt']);
  await rm(dir, { recursive: true });
});

test('a pinned hash that does not match rejects the file and removes it', async () => {
  await expect(download({ url: `${base}/ckpt.pt`, dest: join(dir, 'x.pt'), sha256: 'f'.repeat(64) })).rejects.toMatchObject({ code: 'DOWNLOAD_FAILED', message: expect.stringMatching(/arrived damaged/) });
  expect(await readdir(dir)).toEqual([]);
});

test('the server-declared sha256 is checked when none is pinned', async () => {
  await expect(download({ url: `${base}/wrong-hash.pt`, dest: join(dir, 'x.pt') })).rejects.toMatchObject({ code: 'DOWNLOAD_FAILED' });
});

/** A port on 127.0.0.1 that nothing listens on: bound once by us, then closed. */
async function closedPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('HTTP errors give clear messages', async () => {
  await expect(download({ url: `${base}/missing.pt`, dest: join(dir, 'm.pt') })).rejects.toThrow(/HTTP 404/);
});

test('a refused connection fails at once, says the host can\'t be reached and gives the URL', async () => {
  const url = `http://127.0.0.1:${await closedPort()}/Llama3_MS_CLIP_weights.pt`;
  const t0 = performance.now();
  const err = await download({ url, dest: join(dir, 'n.pt') }).catch((e: unknown) => e);
  expect(performance.now() - t0).toBeLessThan(2_000); // the default back-off would take 15 s
  expect(err).toMatchObject({ code: 'DOWNLOAD_FAILED', detail: { reason: 'unreachable', url, cause: 'ECONNREFUSED' } });
  expect((err as Error).message).toBe(`${new URL(url).host} can't be reached from this computer (the connection was refused). Download ${url} by hand, then install the downloaded file.`);
  expect(await readdir(dir)).toEqual([]);
});

test('a host name that does not resolve fails at once, without retries', async () => {
  const url = 'http://huggingface.invalid/x.pt';
  const t0 = performance.now();
  const err = await download({ url, dest: join(dir, 'd.pt') }).catch((e: unknown) => e);
  expect(performance.now() - t0).toBeLessThan(5_000);
  expect(err).toMatchObject({ code: 'DOWNLOAD_FAILED', detail: { reason: 'unreachable', host: 'huggingface.invalid' } });
  expect((err as Error).message).toMatch(/^huggingface\.invalid can't be reached from this computer \(its name does not resolve\)\. Download http:\/\/huggingface\.invalid\/x\.pt by hand/);
});

test('after retries, the message says whether anything arrived', async () => {
  cutsLeft = 3;
  const err = await download({ url: `${base}/ckpt.pt`, dest: join(dir, 'k.pt'), retries: 2, backoffMs: 1 }).catch((e: unknown) => e);
  expect((err as Error).message).toMatch(/failed after 3 attempts .* \d+ bytes arrived and are kept; the next attempt resumes/);
  expect((err as { detail: { kept: number } }).detail.kept).toBeGreaterThan(0);
});

test('cancelling keeps what arrived, and the next attempt resumes', async () => {
  cutsLeft = 1;
  const controller = new AbortController();
  const dest = join(dir, 'c.pt');
  // The first response is cut; abort during the retry back-off.
  const first = download({ url: `${base}/ckpt.pt`, dest, backoffMs: 5_000, signal: controller.signal });
  setTimeout(() => controller.abort(), 300);
  await expect(first).rejects.toMatchObject({ code: 'CANCELLED' });
  expect((await readdir(dir)).sort()).toEqual(['c.pt.part', 'c.pt.part.json']);
  const again = await download({ url: `${base}/ckpt.pt`, dest });
  expect(again).toMatchObject({ resumed: true, sha256: sha });
});
