/**
 * Where a STAC item or asset lives: an http(s) URL, or a local path (a `file:` URL is a path).
 * Relative hrefs resolve against the item's own location, as the STAC spec says.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const isHttpUrl = (s: string): boolean => /^https?:\/\//i.test(s);

/** A scene location as given: URLs as they are, `file:` URLs and paths as absolute paths. */
export function resolveLocation(p: string): string {
  if (isHttpUrl(p)) return p;
  if (/^file:\/\//i.test(p)) return fileURLToPath(p);
  return resolve(p);
}

/** An asset href against the item's location (a URL or an absolute file path). */
export function resolveHref(href: string, itemLocation: string): string {
  if (isHttpUrl(href)) return href;
  if (/^file:\/\//i.test(href)) return fileURLToPath(href);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(href)) return href;
  if (isHttpUrl(itemLocation)) return new URL(href, itemLocation).href;
  return isAbsolute(href) ? href : resolve(dirname(itemLocation), decodePath(href));
}

/** A relative href's path with %-escapes decoded; as written when it is not valid escaping ("100%_B02.tif"). */
function decodePath(href: string): string {
  try {
    return decodeURIComponent(href);
  } catch {
    return href;
  }
}

/** A URL for messages and logs: without its query, which may hold a signature (SAS token). */
export function displayUrl(url: string): string {
  if (!isHttpUrl(url)) return url;
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return url;
  }
}
