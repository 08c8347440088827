/** A decode worker of the strip pool: opens the scene once and reads the windows it is sent. */
import { parentPort } from 'node:worker_threads';
import { toWireError } from '../errors.ts';
import { openScene } from './open-scene.ts';
import type { FromStripWorker, ToStripWorker } from './strip-protocol.ts';
import type { BandSource } from './types.ts';

const port = parentPort!;
let source: Promise<BandSource> | null = null;
const post = (msg: FromStripWorker): void => port.postMessage(msg);

port.on('message', (msg: ToStripWorker) => {
  if (msg.type === 'open') {
    source = openScene(msg.scenePath);
    source.then(() => post({ type: 'opened' }), (err: unknown) => post({ type: 'failed', id: null, error: toWireError(err) }));
    return;
  }
  const { id, window, bands, buffers } = msg;
  const into = buffers.map((b) => new Float32Array(b));
  source!
    .then((s) => s.readWindow(window, bands, undefined, into))
    .then((planes) => {
      // readWindow fills `into` in place; a source that returned other arrays is copied back.
      planes.forEach((p, k) => { if (p.buffer !== buffers[k]) into[k].set(p); });
      post({ type: 'strip', id });
    })
    .catch((err: unknown) => post({ type: 'failed', id, error: toWireError(err) }));
});
