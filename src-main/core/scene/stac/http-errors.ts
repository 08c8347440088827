/**
 * What went wrong with an HTTP request, in words a user can act on, and whether trying again
 * may help: network errors, timeouts, 429 and 5xx may pass; a refused connection, an unknown
 * host, a refused certificate and 4xx will not.
 */
import { MslensError } from '../../errors.ts';
import { displayUrl } from './location.ts';

const NO_RETRY_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ERR_INVALID_URL', 'ERR_TLS_CERT_ALTNAME_INVALID']);
const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'the connection was reset',
  EPIPE: 'the connection was reset',
  UND_ERR_SOCKET: 'the connection was closed by the server',
  ETIMEDOUT: 'the connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'the server did not answer in time',
  UND_ERR_BODY_TIMEOUT: 'the server stopped sending data',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  EAI_AGAIN: 'the host name could not be resolved (DNS lookup failed)',
};

/**
 * The system error code behind a fetch failure (undici wraps it in `cause`, sometimes an
 * AggregateError), and the innermost message ("bad port" has no code).
 */
function errorCause(err: unknown): { code?: string; message: string } {
  let message = (err as Error)?.message || 'the request failed';
  for (let e = err as { code?: unknown; cause?: unknown; errors?: unknown[]; message?: unknown } | undefined, depth = 0; e && depth < 4; depth++) {
    if (typeof e.message === 'string' && e.message) message = e.message;
    if (typeof e.code === 'string') return { code: e.code, message };
    if (Array.isArray(e.errors) && e.errors.length) e = e.errors[0] as typeof e;
    else e = e.cause as typeof e;
  }
  return { message };
}

export function cancelled(): MslensError {
  return new MslensError('CANCELLED', 'The operation was cancelled.');
}

/** A failed fetch (or `{ timeoutMs }` when the request ran out of time) as a message and a verdict. */
export function networkError(url: string, err: unknown, attempts: number): { error: MslensError; retry: boolean } {
  const u = displayUrl(url);
  const unreachable = (reason: string, code: string): MslensError =>
    new MslensError('DOWNLOAD_FAILED', `Could not reach ${u}: ${reason}${attempts > 1 ? ` (${attempts} attempts)` : ''}. Check the network or the URL; mslens reads STAC assets over HTTP range requests.`, { url: u, reason: code });
  const timeoutMs = (err as { timeoutMs?: unknown })?.timeoutMs;
  if (typeof timeoutMs === 'number') {
    const s = timeoutMs / 1000;
    return { error: unreachable(`no complete answer within ${s >= 1 ? Math.round(s) : s} s`, 'TIMEOUT'), retry: true };
  }
  const cause = errorCause(err);
  const code = cause.code ?? 'UNKNOWN';
  const tls = /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code);
  const host = (() => { try { return new URL(url).host; } catch { return url; } })();
  const reason = code === 'ENOTFOUND' ? `the host ${host} was not found (DNS)`
    : tls ? `its TLS certificate was not accepted (${code})`
      : REASONS[code] ?? `${cause.message}${cause.code ? ` (${code})` : ''}`;
  // Network failures carry a system or undici code; one without ("bad port") will not pass.
  return { error: unreachable(reason, code), retry: !(NO_RETRY_CODES.has(code) || tls || !cause.code) };
}

/** An HTTP error status for `what` ("the STAC item", "asset red (B04) of …"). */
export function statusError(url: string, what: string, res: Response, attempts = 1): MslensError {
  const u = displayUrl(url);
  const status = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
  const detail = { url: u, status: res.status };
  if (res.status === 429 || res.status >= 500) {
    return new MslensError('DOWNLOAD_FAILED', `Could not read ${what} from ${u}: the server answered ${status}${attempts > 1 ? ` ${attempts} times` : ''}. Try again later; mslens reads STAC assets over HTTP range requests.`, detail);
  }
  const Cap = what.charAt(0).toUpperCase() + what.slice(1);
  if (res.status === 404 || res.status === 410) {
    return new MslensError('NOT_FOUND', `${Cap} is not at ${u} (${status}). Check the URL; asset links of a STAC item can move or expire, so fetch the item again from its catalogue.`, detail);
  }
  const azure = /\.blob\.core\.windows\.net$|planetarycomputer/i.test(new URL(url).host);
  if (res.status === 401 || res.status === 403 || (azure && res.status === 409)) {
    const hint = azure
      ? 'Planetary Computer assets must be signed: open the item as returned by planetary_computer.sign() or https://planetarycomputer.microsoft.com/api/sas/v1/sign (the tokens expire after about an hour).'
      : 'The server wants credentials mslens does not send (a signed URL, a token or a requester-pays bucket): open an item whose asset links can be read anonymously.';
    return new MslensError('DOWNLOAD_FAILED', `${u} refused access to ${what} (${status}). ${hint}`, detail);
  }
  return new MslensError('DOWNLOAD_FAILED', `${u} answered ${status} when mslens asked for ${what}.`, detail);
}
