/**
 * api.ts over IPC: one `mslens:<op>` channel per operation (a loop over the api table), every
 * call checked for its sender and run through the op runner (argument validation, jobs, errors
 * as data). Events go back on one `mslens:event` channel.
 */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { api, type FrontEventName, type FrontEvents, type OpName, type Reply } from '../core/api.ts';
import type { OpRunner } from '../core/app/index.ts';

export const EVENT_CHANNEL = 'mslens:event';

export interface IpcOptions {
  runner: OpRunner;
  window: () => BrowserWindow | null;
  /** Origins the renderer may be loaded from (app://mslens, or the dev server's). */
  trustedOrigins: readonly string[];
}

function fromTrustedSender(event: IpcMainInvokeEvent, o: IpcOptions): boolean {
  const win = o.window();
  if (!win || event.sender !== win.webContents) return false;
  const frame = event.senderFrame;
  if (!frame || frame !== win.webContents.mainFrame) return false;
  try {
    // Node's URL gives custom schemes an origin of "null": compare scheme and host instead.
    const u = new URL(frame.url);
    return o.trustedOrigins.includes(`${u.protocol}//${u.host}`);
  } catch {
    return false;
  }
}

export function registerIpc(o: IpcOptions): () => void {
  const names = Object.keys(api) as OpName[];
  for (const name of names) {
    ipcMain.handle(`mslens:${name}`, async (event, raw: unknown, jobId: unknown): Promise<Reply<unknown>> => {
      if (!fromTrustedSender(event, o)) return { ok: false, error: { code: 'BAD_ARGUMENT', message: 'This window may not call mslens.', detail: { op: name } } };
      return o.runner.run(name, raw, { jobId: typeof jobId === 'string' ? jobId : undefined });
    });
  }
  const unsubscribe = o.runner.subscribe((name, payload) => sendEvent(o.window(), name, payload));
  return () => {
    unsubscribe();
    for (const name of names) ipcMain.removeHandler(`mslens:${name}`);
  };
}

export function sendEvent<E extends FrontEventName>(win: BrowserWindow | null, name: E, payload: FrontEvents[E]): void {
  if (win && !win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, name, payload);
}
