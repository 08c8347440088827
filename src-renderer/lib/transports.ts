/** The two ways to reach api.ts: the desktop preload's bridge, and web mode's HTTP + SSE. */
import type { OpName, Reply, WireError } from '$api';

/** What the desktop preload exposes as `window.mslens` (see src-main/electron/preload.ts). */
export interface DesktopBridge {
  invoke(name: string, arg: unknown, jobId?: string): Promise<unknown>;
  onEvent(listener: (name: string, payload: unknown) => void): () => void;
}

declare global {
  interface Window {
    mslens?: DesktopBridge;
  }
}

export interface Transport {
  kind: 'desktop' | 'web';
  invoke(name: OpName, arg: unknown, jobId: string): Promise<Reply<unknown>>;
  onEvent(listener: (name: string, payload: unknown) => void): void;
  fileUrl(path: string): string;
}

const lost = (message: string): Reply<never> => ({ ok: false, error: { code: 'INTERNAL', message, detail: {} } });

export function desktopTransport(bridge: DesktopBridge): Transport {
  return {
    kind: 'desktop',
    invoke: (name, arg, jobId) => (bridge.invoke(name, arg, jobId) as Promise<Reply<unknown>>).catch((e: unknown) => lost(`The call to ${name} failed: ${(e as Error).message}`)),
    onEvent: (listener) => { bridge.onEvent(listener); },
    fileUrl: (path) => `app://mslens/file?path=${encodeURIComponent(path)}`,
  };
}

export function webTransport(): Transport {
  const token = document.querySelector<HTMLMetaElement>('meta[name="mslens-token"]')?.content ?? '';
  return {
    kind: 'web',
    async invoke(name, arg, jobId) {
      let res: Response;
      try {
        res = await fetch(`/api/${name}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-mslens-token': token, 'x-mslens-job': jobId },
          body: JSON.stringify(arg ?? {}),
        });
      } catch {
        return lost('Lost contact with the mslens server. Is it still running? Start it again and reload this page.');
      }
      const body = (await res.json().catch(() => null)) as Reply<unknown> | { ok: false; error: WireError } | null;
      if (body && typeof body === 'object' && 'ok' in body) return body;
      return lost(`The mslens server answered ${res.status} ${res.statusText}.`);
    },
    onEvent(listener) {
      const source = new EventSource('/api/events');
      source.addEventListener('progress', (e) => listener('progress', JSON.parse((e as MessageEvent<string>).data)));
    },
    fileUrl: (path) => `/file?path=${encodeURIComponent(path)}`,
  };
}
