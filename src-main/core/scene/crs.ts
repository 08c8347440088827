/**
 * Coordinate reference systems mslens can place on the map without a projection database:
 * WGS 84 / UTM (north and south), ETRS89 / UTM, WGS 84 and Web Mercator.
 */
import { MslensError } from '../errors.ts';
import type { Crs } from './types.ts';

export function crsFromEpsg(epsg: number): Crs | null {
  if (epsg >= 32601 && epsg <= 32660) return { epsg, proj4: `+proj=utm +zone=${epsg - 32600} +datum=WGS84 +units=m +no_defs` };
  if (epsg >= 32701 && epsg <= 32760) return { epsg, proj4: `+proj=utm +zone=${epsg - 32700} +south +datum=WGS84 +units=m +no_defs` };
  if (epsg >= 25828 && epsg <= 25838) return { epsg, proj4: `+proj=utm +zone=${epsg - 25800} +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs` };
  if (epsg === 4326) return { epsg, proj4: '+proj=longlat +datum=WGS84 +no_defs' };
  if (epsg === 3857) return { epsg, proj4: '+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +no_defs' };
  return null;
}

export function requireCrs(epsg: number | undefined, file: string): Crs {
  if (!epsg) {
    throw new MslensError('NO_GEOREFERENCE', `${file} has no coordinate reference system. mslens needs a georeferenced scene: assign one with \`gdal_translate -a_srs EPSG:32633\` or export the product as GeoTIFF with its CRS.`, { path: file });
  }
  const crs = crsFromEpsg(epsg);
  if (!crs) {
    throw new MslensError('NO_GEOREFERENCE', `${file} uses EPSG:${epsg}, which mslens cannot place on the map. Sentinel-2 products come in UTM: reproject with \`gdalwarp -t_srs EPSG:326xx\`.`, { path: file, epsg });
  }
  return crs;
}
