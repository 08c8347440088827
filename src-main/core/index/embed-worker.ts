/**
 * The embedding worker, for every image-encoder run off the thread that serves the UI. A scene
 * job reads the scene strip by strip (one row of tiles at a time, decoded ahead by the strip
 * reader's pool of decode workers), preprocesses and embeds tiles in batches with ONNX Runtime,
 * and reports progress; an images job (`embed image`) embeds each tile-sized file whole. Cancel
 * is checked between batches and between files.
 */
import { basename } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { MslensError, toWireError } from '../errors.ts';
import { openImageEncoder } from '../models/image-encoder.ts';
import { copyTile, openPreprocessor } from '../models/preprocess.ts';
import { batchSizeFor } from '../models/providers.ts';
import { openScene, resolveSceneLocation } from '../scene/open-scene.ts';
import { openStripReader } from '../scene/strip-reader.ts';
import { makeTileGrid } from '../tiles/tile-grid.ts';
import type { EmbedJob, FromWorker, ImageFilesJob, ToWorker } from './embed-protocol.ts';
import { isCloudy, MASK_COUNT, sclFractions, unknownFractions } from './scl-fractions.ts';

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
    // SCL masks: read along with the model bands; cloudy tiles never reach the batch.
    const masks = source.info.bands.includes('SCL');
    const readBands = masks ? [...pre.bands, 'SCL' as const] : pre.bands;
    const batchFractions = new Float32Array(batch * MASK_COUNT);
    const keptFractions = new Float32Array(grid.count * MASK_COUNT);
    let cloudy = 0;
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
        keep.forEach((i, j) => {
          keptTiles[kept + j] = inBatch[i];
          keptValid[kept + j] = valid[i];
          keptFractions.set(batchFractions.subarray(i * MASK_COUNT, (i + 1) * MASK_COUNT), (kept + j) * MASK_COUNT);
        });
        kept += m;
      }
      done += n;
      inBatch.length = 0;
      post({ type: 'progress', done, total: grid.count, skippedNodata: skipped, skippedCloudy: cloudy });
      checkCancelled();
    };

    const stripWidth = (grid.cols - 1) * grid.stride + grid.size;
    const windows = Array.from({ length: grid.rows }, (_, row) => ({ x: 0, y: row * grid.stride, width: stripWidth, height: grid.size }));
    const reader = await openStripReader(job.scenePath, windows, readBands, { source });
    try {
      for (let next = await reader.next(); next; next = await reader.next()) {
        checkCancelled();
        const row = next.index;
        const strip = next.planes;
        const bands = masks ? strip.slice(0, nb) : strip;
        const cloudyBefore = cloudy;
        for (let col = 0; col < grid.cols; col++) {
          const slot = inBatch.length * MASK_COUNT;
          if (masks) sclFractions(strip[nb], stripWidth, col * grid.stride, grid.size, grid.size, batchFractions, slot);
          else unknownFractions(batchFractions, slot);
          if (isCloudy(batchFractions, slot, job.maxCloudFraction)) { cloudy++; done++; continue; }
          copyTile(bands, stripWidth, col * grid.stride, grid.size, raw, inBatch.length * per);
          inBatch.push(row * grid.cols + col);
          if (inBatch.length === batch) await flush();
        }
        if (cloudy > cloudyBefore) post({ type: 'progress', done, total: grid.count, skippedNodata: skipped, skippedCloudy: cloudy });
        reader.release(next);
      }
    } finally {
      await reader.close();
    }
    await flush();
    await Promise.all([pre.close(), enc.close()]);
    const tiles = keptTiles.slice(0, kept).buffer;
    const validOut = keptValid.slice(0, kept).buffer;
    const fractionsOut = keptFractions.slice(0, kept * MASK_COUNT).buffer;
    const embOut = embeddings.slice(0, kept * dim).buffer;
    post({ type: 'done', tiles, valid: validOut, fractions: fractionsOut, embeddings: embOut, dim, masks, skippedNodata: skipped, skippedCloudy: cloudy }, [tiles, validOut, fractionsOut, embOut]);
  } finally {
    await source.close();
  }
}

/** Images given to `embed image` are single tiles; a scene is indexed instead. */
const MAX_IMAGE_EDGE = 2048;

async function runImages(job: ImageFilesJob): Promise<void> {
  const { manifest } = job.model;
  const enc = await openImageEncoder(job.model, job.providers, { threads: job.threads, precision: job.precision });
  const total = job.files.length;
  const dim = manifest.embeddingDim;
  const embeddings = new Float32Array(total * dim);
  try {
    post({ type: 'started', provider: enc.provider, fallbacks: enc.fallbacks, precision: enc.precision, sha256: enc.sha256, total, batchSize: 1 });
    for (const [i, file] of job.files.entries()) {
      checkCancelled();
      const source = await openScene(resolveSceneLocation(file));
      try {
        const { width, height } = source.info;
        if (Math.max(width, height) > MAX_IMAGE_EDGE || (manifest.inputSize === null && width !== height)) {
          throw new MslensError('BAD_ARGUMENT', `${basename(file)} is ${width}×${height} px; embed image takes single tiles up to ${MAX_IMAGE_EDGE} px${manifest.inputSize === null ? ', square for this model' : ''}. Index it as a scene instead.`, { path: file }, { action: { kind: 'build-index', scene: file } });
        }
        const pre = await openPreprocessor(manifest, source.info, height, width);
        try {
          const planes = await source.readWindow({ x: 0, y: 0, width, height }, pre.bands);
          const raw = new Float32Array(planes.length * width * height);
          planes.forEach((p, b) => raw.set(p, b * width * height));
          const { pixels, inputSize } = await pre.run(raw, 1);
          embeddings.set(await enc.embed(pixels, 1, inputSize), i * dim);
        } finally {
          await pre.close();
        }
      } finally {
        await source.close();
      }
      post({ type: 'progress', done: i + 1, total, skippedNodata: 0, skippedCloudy: 0 });
    }
  } finally {
    await enc.close();
  }
  post({ type: 'images-done', embeddings: embeddings.buffer, dim }, [embeddings.buffer]);
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'cancel') { cancelled = true; return; }
  (msg.type === 'images' ? runImages(msg.job) : run(msg.job)).catch((err: unknown) => {
    if (!(err instanceof MslensError)) console.error(err);
    post({ type: 'failed', error: toWireError(err) });
  });
});
