/**
 * The preview worker: opens the scene, writes its true-colour preview (preview-build.ts) and
 * reports progress, so a preview never competes with indexing or the UI for the main thread.
 * A `cancel` message aborts between windows; the unfinished file is removed.
 */
import { parentPort } from 'node:worker_threads';
import { MslensError, toWireError } from '../errors.ts';
import { openScene } from '../scene/open-scene.ts';
import { planPreview, writePreview } from './preview-build.ts';
import type { FromPreviewWorker, PreviewJob, ToPreviewWorker } from './scene-preview-protocol.ts';

const port = parentPort!;
const controller = new AbortController();
const post = (msg: FromPreviewWorker): void => port.postMessage(msg);

async function run(job: PreviewJob): Promise<void> {
  const source = await openScene(job.scenePath, controller.signal);
  try {
    await writePreview(source, job.outPath, planPreview(source.info, job), {
      signal: controller.signal,
      onProgress: (done, total) => post({ type: 'progress', done, total }),
    });
  } finally {
    await source.close();
  }
}

port.on('message', (msg: ToPreviewWorker) => {
  if (msg.type === 'cancel') {
    controller.abort();
    return;
  }
  run(msg.job).then(
    () => post({ type: 'done' }),
    (err: unknown) => {
      if (!(err instanceof MslensError) && toWireError(err).code === 'INTERNAL') console.error(err);
      post({ type: 'failed', error: toWireError(err) });
    },
  );
});
