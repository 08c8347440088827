/**
 * The import worker: converts a checkpoint, checks its int8 encoder and writes the manifest
 * (import-steps.ts) off the thread that serves the UI, reporting each step's progress. A
 * `cancel` message aborts between tensors and batches; the caller removes the staging folder.
 */
import { parentPort } from 'node:worker_threads';
import { MslensError, toWireError } from '../errors.ts';
import type { FromImportWorker, ToImportWorker } from './import-protocol.ts';
import { runImportSteps } from './import-steps.ts';

const port = parentPort!;
const controller = new AbortController();
const post = (msg: FromImportWorker): void => port.postMessage(msg);

port.on('message', (msg: ToImportWorker) => {
  if (msg.type === 'cancel') {
    controller.abort();
    return;
  }
  runImportSteps(msg.job, {
    signal: controller.signal,
    onProgress: (step, message, done, total) => post({ type: 'progress', step, message, done, total }),
  }).then(
    () => post({ type: 'done' }),
    (err: unknown) => {
      if (!(err instanceof MslensError) && toWireError(err).code === 'INTERNAL') console.error(err);
      post({ type: 'failed', error: toWireError(err) });
    },
  );
});
