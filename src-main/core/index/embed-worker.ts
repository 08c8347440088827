/**
 * The embedding worker: reads the scene strip by strip (one row of tiles at a time, so each
 * file block is decoded about once), preprocesses and embeds tiles in batches with ONNX
 * Runtime, and reports progress. Cancel is checked between batches.
 */
import { parentPort } from 'node:worker_threads';
import { MslensError, toWireError } from '../errors.ts';
import { openImageEncoder } from '../models/image-encoder.ts';
import { copyTile, openPreprocessor } from '../models/preprocess.ts';
import { batchSizeFor } from '../models/providers.ts';
import { openScene } from '../scene/open-scene.ts';
import { makeTileGrid } from '../tiles/tile-grid.ts';
import type { EmbedJob, FromWorker, ToWorker } from './embed-protocol.ts';

const port = parentPort!;
let cancelled = false;
const post = (msg: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);

function checkCancelled(): void {
  if (cancelled) throw new MslensError('CANCELLED', 'Indexing was cancelled.');
}

async function run(job: EmbedJob): Promise<void> {
  const source = await openScene(job.scenePath);
  try {
    const grid = makeTileGrid(source.info, { size: job.size, stride: job.stride });
    const { manifest } = job.model;
    const pre = await openPreprocessor(manifest, source.info, grid.size);
    const enc = await openImageEncoder(job.model, job.providers, { threads: job.threads, precision: job.precision });
    const nb = pre.bands.length;
    const batch = batchSizeFor(enc.provider, { tileSize: Math.max(grid.size, pre.inputSize), bands: nb });
    post({ type: 'started', provider: enc.provider, fallbacks: enc.fallbacks, precision: enc.precision, sha256: enc.sha256, total: grid.count, batchSize: batch });

    const per = nb * grid.size * grid.size;
    const raw = new Float32Array(batch * per);
    const dim = manifest.embeddingDim;
    const keptTiles = new Int32Array(grid.count);
    const keptValid = new Float32Array(grid.count);
    const embeddings = new Float32Array(grid.count * dim);
    let kept = 0;
    let skipped = 0;
    let done = 0;
    const inBatch: number[] = [];

    const flush = async (): Promise<void> => {
      if (!inBatch.length) return;
      const n = inBatch.length;
      const { pixels, valid, inputSize } = await pre.run(raw, n);
      const inPer = nb * inputSize * inputSize;
      let m = 0;
      const keep: number[] = [];
      for (let i = 0; i < n; i++) {
        if (valid[i] < job.minValidFraction) { skipped++; continue; }
        if (m !== i) pixels.copyWithin(m * inPer, i * inPer, (i + 1) * inPer);
        keep.push(i);
        m++;
      }
      if (m > 0) {
        const emb = await enc.embed(pixels, m, inputSize);
        embeddings.set(emb, kept * dim);
        keep.forEach((i, j) => { keptTiles[kept + j] = inBatch[i]; keptValid[kept + j] = valid[i]; });
        kept += m;
      }
      done += n;
      inBatch.length = 0;
      post({ type: 'progress', done, total: grid.count, skipped });
      checkCancelled();
    };

    const stripWidth = (grid.cols - 1) * grid.stride + grid.size;
    const stripBuffers = pre.bands.map(() => new Float32Array(stripWidth * grid.size));
    for (let row = 0; row < grid.rows; row++) {
      checkCancelled();
      const strip = await source.readWindow({ x: 0, y: row * grid.stride, width: stripWidth, height: grid.size }, pre.bands, undefined, stripBuffers);
      for (let col = 0; col < grid.cols; col++) {
        copyTile(strip, stripWidth, col * grid.stride, grid.size, raw, inBatch.length * per);
        inBatch.push(row * grid.cols + col);
        if (inBatch.length === batch) await flush();
      }
    }
    await flush();
    await Promise.all([pre.close(), enc.close()]);
    const tiles = keptTiles.slice(0, kept).buffer;
    const validOut = keptValid.slice(0, kept).buffer;
    const embOut = embeddings.slice(0, kept * dim).buffer;
    post({ type: 'done', tiles, valid: validOut, embeddings: embOut, dim, skipped }, [tiles, validOut, embOut]);
  } finally {
    await source.close();
  }
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'cancel') { cancelled = true; return; }
  run(msg.job).catch((err: unknown) => {
    if (!(err instanceof MslensError)) console.error(err);
    post({ type: 'failed', error: toWireError(err) });
  });
});
