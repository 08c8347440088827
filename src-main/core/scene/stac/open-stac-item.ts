/**
 * A Sentinel-2 STAC item (a local .json file or an http(s) URL) as a scene: its band assets
 * are opened with geotiff.js (over HTTP range requests for URLs, from disk for file paths) and
 * put on the 10 m grid by BandFilesSource, window by window.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { fromFile } from 'geotiff';
import { MslensError } from '../../errors.ts';
import { readJsonFile } from '../../input-files.ts';
import { openTiffBandRaster, type BandRaster } from '../band-raster.ts';
import { BandFilesSource, type BandFilesOptions } from '../band-files-source.ts';
import { useNativeDeflate } from '../native-deflate.ts';
import type { BandName, BandSource, PixelWindow, RasterInfo } from '../types.ts';
import { HttpClient, type HttpOptions } from './http-range.ts';
import { displayUrl, isHttpUrl } from './location.ts';
import { openRemoteTiff } from './remote-tiff.ts';
import { parseStacItem, type StacBandAsset, type StacItem } from './stac-item.ts';

export interface StacOpenOptions extends BandFilesOptions {
  http?: HttpOptions;
}

/** A scene opened from a STAC item; `item` says which assets and which offset rule were used. */
export class StacItemSource implements BandSource {
  constructor(
    readonly item: StacItem,
    /** The item's content key (see stacItemKey). */
    readonly key: string,
    private readonly inner: BandFilesSource,
  ) {}

  get info(): RasterInfo {
    return this.inner.info;
  }

  /** The URL or path each band is read from. */
  get files(): ReadonlyMap<BandName, string> {
    return this.inner.files;
  }

  readWindow(win: PixelWindow, bands: readonly BandName[], signal?: AbortSignal, into?: Float32Array[]): Promise<Float32Array[]> {
    return this.inner.readWindow(win, bands, signal, into);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** True for what the STAC opener takes: an http(s) URL, or a .json file. */
export async function isStacItemLocation(path: string): Promise<boolean> {
  if (isHttpUrl(path)) return true;
  if (extname(path).toLowerCase() !== '.json') return false;
  return (await stat(path).catch(() => null))?.isFile() ?? false;
}

/** The item document, from its URL or its file (a checked regular file, UTF-16 named, a BOM skipped). */
async function readItemDocument(location: string, client: HttpClient, signal?: AbortSignal): Promise<unknown> {
  if (isHttpUrl(location)) return parseJson(await client.getText(location, 'the STAC item', signal), location);
  return readJsonFile(location, 'STAC item', 'SCENE_UNREADABLE');
}

function parseJson(text: string, location: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const start = text.trimStart().slice(0, 15).toLowerCase();
    const what = start.startsWith('<') ? 'it is HTML or XML, not JSON' : /^(ii\*|mm\x00\*)/.test(start) ? 'it is a TIFF, not JSON (mslens opens remote scenes through their STAC item)' : `it is not valid JSON (${(err as Error).message})`;
    throw new MslensError('SCENE_UNREADABLE', `${displayUrl(location)} is not a STAC item: ${what}. Give the URL or file of one Sentinel-2 STAC item.`, { path: displayUrl(location) }, { cause: err });
  }
}

/** Ids of the items read in this process, by URL: sceneIdOf cannot fetch, and URLs need not end with the id. */
const itemIds = new Map<string, string>();

/** Reads and validates a STAC item, and keys it by its content. */
async function loadStacItem(location: string, client: HttpClient, signal?: AbortSignal): Promise<{ item: StacItem; key: string }> {
  const doc = await readItemDocument(location, client, signal);
  const item = parseStacItem(doc, location);
  if (isHttpUrl(location)) {
    if (itemIds.size >= 1000) itemIds.delete(itemIds.keys().next().value!);
    itemIds.set(location, item.id);
  }
  return { item, key: itemContentKey(doc) };
}

async function openAsset(a: StacBandAsset, item: StacItem, client: HttpClient, signal?: AbortSignal): Promise<BandRaster> {
  const what = `asset ${a.key} (${a.band}) of the STAC item ${item.id}`;
  const remote = isHttpUrl(a.href);
  if (!remote && /^[a-z][a-z0-9+.-]*:\/\//i.test(a.href)) {
    throw new MslensError('SCENE_UNREADABLE', `The ${what} is at ${a.href}, which mslens cannot read: it reads assets over http(s) or from local files. Use the item's https links (Earth Search gives them next to the s3:// ones) or download the bands.`, { item: item.id, asset: a.key });
  }
  return openTiffBandRaster(() => (remote ? openRemoteTiff(client, a.href, what, signal) : fromFile(a.href, signal)), a.band, displayUrl(a.href), {
    file: remote ? undefined : a.href,
    offset: item.offset.offset,
    openError: (err) => ((err as { code?: string }).code === 'ENOENT'
      ? new MslensError('NOT_FOUND', `The ${what} is not at ${a.href}: the file does not exist. Check the item's asset paths (relative ones are taken from the item's folder).`, { item: item.id, path: a.href })
      : undefined),
  });
}

export async function openStacItem(location: string, opts: StacOpenOptions = {}): Promise<StacItemSource> {
  useNativeDeflate();
  const client = new HttpClient(opts.http);
  const { item, key } = await loadStacItem(location, client, opts.signal);
  const opened = await Promise.allSettled(item.bands.map((a) => openAsset(a, item, client, opts.signal)));
  const failed = opened.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  const rasters = opened.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  if (failed) {
    for (const r of rasters) r.close();
    throw failed.reason;
  }
  const source = BandFilesSource.fromRasters(rasters, { name: item.id, date: item.date, tile: item.tile, radiometricOffset: item.offset.offset }, opts);
  return new StacItemSource(item, key, source);
}

/**
 * The content key of an item: its id, collection, properties, bbox and asset hrefs (without
 * their query, so an item signed again keeps its key). Assets of an item do not change.
 */
export async function stacItemKey(location: string, signal?: AbortSignal): Promise<string> {
  return itemContentKey(await readItemDocument(location, new HttpClient(), signal));
}

function itemContentKey(parsed: unknown): string {
  const doc = parsed as Record<string, unknown>;
  const assets = Object.fromEntries(Object.entries((doc.assets ?? {}) as Record<string, { href?: unknown }>).map(([k, a]) => [k, typeof a?.href === 'string' ? a.href.replace(/[?#].*$/, '') : null]).sort(([a], [b]) => String(a).localeCompare(String(b))));
  const canonical = JSON.stringify({ id: doc.id, collection: doc.collection ?? null, bbox: doc.bbox ?? null, properties: doc.properties ?? null, assets });
  return createHash('sha256').update('stac-item;').update(canonical).digest('hex').slice(0, 32);
}

/**
 * The item id to name a scene by, when the path is a STAC item: for a URL, the id of the item
 * read from it in this process (openers read it before anyone names the scene), else its last
 * segment (catalogue APIs end item URLs with the id: …/items/<id>; static catalogues name the
 * file <id>.json); for a local item file, its `id`. Null for anything else.
 */
export function stacItemSceneId(path: string): string | null {
  if (isHttpUrl(path)) {
    const known = itemIds.get(path);
    if (known) return known;
    try {
      const last = new URL(path).pathname.split('/').filter(Boolean).pop();
      return last ? decodeURIComponent(last).replace(/\.json$/i, '') : null;
    } catch {
      return null;
    }
  }
  if (extname(path).toLowerCase() !== '.json') return null;
  try {
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { type?: unknown; id?: unknown };
    return doc.type === 'Feature' && typeof doc.id === 'string' && doc.id.trim() ? doc.id : null;
  } catch {
    return null;
  }
}
