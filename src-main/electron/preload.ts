/**
 * The renderer's only bridge: `window.mslens.invoke(op, arg, jobId)` for the operations in
 * api.ts (a loop over its table) and `window.mslens.onEvent(listener)` for their events. Nothing
 * else of Electron or Node reaches the page.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { api } from '../core/api.ts';

const ops = new Set(Object.keys(api));
const EVENT_CHANNEL = 'mslens:event';

contextBridge.exposeInMainWorld('mslens', {
  invoke(name: unknown, arg: unknown, jobId?: unknown): Promise<unknown> {
    if (typeof name !== 'string' || !ops.has(name)) return Promise.reject(new Error(`mslens has no operation "${String(name)}".`));
    return ipcRenderer.invoke(`mslens:${name}`, arg, typeof jobId === 'string' ? jobId : undefined);
  },
  onEvent(listener: (name: string, payload: unknown) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('onEvent takes a function.');
    const wrapped = (_event: IpcRendererEvent, name: string, payload: unknown): void => listener(name, payload);
    ipcRenderer.on(EVENT_CHANNEL, wrapped);
    return () => { ipcRenderer.removeListener(EVENT_CHANNEL, wrapped); };
  },
});
