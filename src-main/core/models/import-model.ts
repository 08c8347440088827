/**
 * Importing an open_clip ViT checkpoint as an mslens model. The heavy steps (conversion, the
 * int8 check) run in a worker (model-import-worker.ts) that writes into a staging folder; only
 * a complete folder is moved into place. The staging folder goes whatever happens: failure,
 * cancel, a crashed worker, or (on the next import) a process that was killed.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fromWireError, MslensError } from '../errors.ts';
import { requireInputFile } from '../input-files.ts';
import { runWorkerJob } from '../worker-spawn.ts';
import type { FromImportWorker, ImportJob, ImportStep, ToImportWorker } from './import-protocol.ts';
import { readManifest, type InstalledModel } from './manifest.ts';

export { clipManifest } from './import-steps.ts';
export type { ImportStep } from './import-protocol.ts';

export interface ImportModelOptions extends Omit<ImportJob, 'staging'> {
  /** <data folder>/models */
  modelsDir: string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, message: string, step: ImportStep) => void;
}

const STEPS: readonly ImportStep[] = ['convert', 'check', 'write'];
const STAGING = /^\.staging-.+-(\d+)-[0-9a-f]{8}$/;

const cancelled = (): MslensError => new MslensError('CANCELLED', 'The model import was cancelled; nothing was installed.');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Staging folders of processes that no longer run (killed mid-import). */
async function removeAbandonedStaging(modelsDir: string): Promise<void> {
  const names = await readdir(modelsDir).catch(() => [] as string[]);
  await Promise.all(names.map(async (name) => {
    const pid = Number(STAGING.exec(name)?.[1] ?? NaN);
    if (Number.isInteger(pid) && pid !== process.pid && !alive(pid)) await rm(join(modelsDir, name), { recursive: true, force: true });
  }));
}

function convertInWorker(job: ImportJob, opts: ImportModelOptions): Promise<void> {
  return runWorkerJob<FromImportWorker, void>(new URL('./model-import-worker.ts', import.meta.url), { type: 'start', job } satisfies ToImportWorker, {
    name: 'model import worker',
    cancelled,
    signal: opts.signal,
    waitForExit: true,
    onMessage(msg, done, fail) {
      if (msg.type === 'progress') {
        const n = STEPS.indexOf(msg.step) + 1;
        opts.onProgress?.(msg.done, msg.total, `Step ${n} of ${STEPS.length}: ${msg.message}`, msg.step);
      } else if (msg.type === 'done') done();
      else fail(msg.error.code === 'CANCELLED' ? cancelled() : fromWireError(msg.error));
    },
  });
}

export async function importOpenClipModel(opts: ImportModelOptions): Promise<InstalledModel> {
  // Before any staging folder exists: a named pipe as the checkpoint would block the worker forever.
  await requireInputFile(opts.checkpoint, { what: 'checkpoint' });
  await mkdir(opts.modelsDir, { recursive: true });
  await removeAbandonedStaging(opts.modelsDir);
  const staging = join(opts.modelsDir, `.staging-${opts.id}-${process.pid}-${randomBytes(4).toString('hex')}`);
  const target = join(opts.modelsDir, opts.id);
  await mkdir(staging);
  try {
    const { checkpoint, config, id, name, description, licence } = opts;
    await convertInWorker({ checkpoint, config, id, name, description, licence, staging }, opts);
    const manifest = await readManifest(staging);
    const old = `${target}.old-${randomBytes(4).toString('hex')}`;
    await rename(target, old).catch(() => {});
    await rename(staging, target);
    await rm(old, { recursive: true, force: true });
    return { manifest, dir: target, builtIn: false };
  } finally {
    await rm(staging, { recursive: true, force: true }).catch(() => {});
  }
}
