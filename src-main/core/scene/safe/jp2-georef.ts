/**
 * Where a JPEG 2000 band lies, from its own boxes: GeoJP2 (a degenerate GeoTIFF in a uuid box,
 * read with geotiff.js) or GMLJP2 (a GML RectifiedGrid in an XML box). GDAL looks in the same
 * order. GMLJP2 puts the grid origin at the centre of pixel (0, 0), as GDAL reads it.
 */
import { fromArrayBuffer } from 'geotiff';
import { crsFromEpsg } from '../crs.ts';
import { geoTransform, imageCrs } from '../geotiff-source.ts';
import type { Crs, GeoTransform } from '../types.ts';

export interface Georef {
  transform: GeoTransform;
  crs: Crs;
}

/** The georeferencing of a GeoJP2 box, or null when it has none mslens can use. */
export async function georefFromGeoJp2(tiff: Uint8Array, label: string): Promise<Georef | null> {
  try {
    const buffer = tiff.slice().buffer;
    const image = await (await fromArrayBuffer(buffer)).getImage(0);
    return { transform: geoTransform(label, image), crs: imageCrs(label, image) };
  } catch {
    return null;
  }
}

const numbers = (text: string): number[] => text.trim().split(/[\s,]+/).map(Number);

/** EPSG code from srsName forms: EPSG:32633, urn:ogc:def:crs:EPSG::32633, urn:…:EPSG:8.7:32633, …/EPSG/0/32633. */
function epsgOf(srsName: string): number | undefined {
  const m = /EPSG(?:\/[\d.]+\/|:[\d.]*:|:)(\d+)\s*$/i.exec(srsName.trim());
  return m ? Number(m[1]) : undefined;
}

/** The georeferencing of a GMLJP2 coverage description among `xml`, or null. */
export function georefFromGml(xml: readonly string[]): Georef | null {
  for (const doc of xml) {
    const grid = /<(?:[\w-]+:)?RectifiedGrid[\s>][\s\S]*?<\/(?:[\w-]+:)?RectifiedGrid>/.exec(doc)?.[0];
    if (!grid) continue;
    const origin = /<(?:[\w-]+:)?origin[\s>][\s\S]*?<(?:[\w-]+:)?pos[^>]*>([^<]+)</.exec(grid);
    const vectors = [...grid.matchAll(/<(?:[\w-]+:)?offsetVector[^>]*>([^<]+)</g)].map((m) => numbers(m[1]));
    const srs = /<(?:[\w-]+:)?Point[^>]*srsName="([^"]+)"/.exec(grid)?.[1]
      ?? /<(?:[\w-]+:)?Envelope[^>]*srsName="([^"]+)"/.exec(doc)?.[1]
      ?? /srsName="([^"]+)"/.exec(grid)?.[1];
    const epsg = srs ? epsgOf(srs) : undefined;
    const crs = epsg ? crsFromEpsg(epsg) : null;
    if (!origin || vectors.length < 2 || !crs) continue;
    let [ox, oy] = numbers(origin[1]);
    let [[ax, ay], [bx, by]] = vectors;
    // Geographic EPSG axes are latitude first (GDAL flips them the same way).
    if (crs.proj4.startsWith('+proj=longlat')) [ox, oy, ax, ay, bx, by] = [oy, ox, ay, ax, by, bx];
    if (![ox, oy, ax, ay, bx, by].every(Number.isFinite)) continue;
    const t: GeoTransform = [ox - ax / 2 - bx / 2, ax, bx, oy - ay / 2 - by / 2, ay, by];
    return { transform: t, crs };
  }
  return null;
}
