/**
 * Who may talk to the web server: requests for our own host (no DNS rebinding), from no foreign
 * Origin, carrying the per-run token. The token comes in a header (API calls), the session
 * cookie set from the printed URL (page, assets, events, scene bytes), or `?token=` on the URL
 * the server printed.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_HEADER = 'x-mslens-token';
export const JOB_HEADER = 'x-mslens-job';
export const TOKEN_COOKIE = 'mslens_token';

export const newToken = (): string => randomBytes(32).toString('base64url');

export function sameToken(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function cookieValue(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try { return decodeURIComponent(part.slice(eq + 1).trim()); } catch { return null; }
    }
  }
  return null;
}

/** The origins (and Host values) this server answers to. */
export function ownOrigins(port: number): { hosts: Set<string>; origins: Set<string> } {
  const hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  return { hosts, origins: new Set([...hosts].map((h) => `http://${h}`)) };
}

export type Verdict = { ok: true } | { ok: false; status: 401 | 403 | 421; message: string };

export interface RequestCheck {
  token: string;
  port: number;
  /** API calls must carry the header: a cookie alone could be ridden by another page. */
  headerOnly: boolean;
  url: URL;
}

export function checkRequest(req: IncomingMessage, c: RequestCheck): Verdict {
  const { hosts, origins } = ownOrigins(c.port);
  if (!hosts.has(req.headers.host ?? '')) return { ok: false, status: 421, message: 'This server answers only to 127.0.0.1.' };
  const origin = req.headers.origin;
  if (origin !== undefined && !origins.has(origin)) return { ok: false, status: 403, message: 'Requests from other sites are refused.' };
  if (req.headers['sec-fetch-site'] === 'cross-site') return { ok: false, status: 403, message: 'Requests from other sites are refused.' };
  const header = req.headers[TOKEN_HEADER];
  const given = typeof header === 'string' ? header : c.headerOnly ? null : (cookieValue(req, TOKEN_COOKIE) ?? c.url.searchParams.get('token'));
  if (!sameToken(given, c.token)) {
    return { ok: false, status: 401, message: 'This mslens server needs its token: open the URL that `mslens serve` printed.' };
  }
  return { ok: true };
}
