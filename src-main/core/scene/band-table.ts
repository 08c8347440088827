/**
 * The Sentinel-2 MSI band table and how stored bands are identified: by their descriptions
 * when present (any order), otherwise by the band count of the usual stacks.
 */
import { L1C_BANDS, L2A_BANDS, S2_BANDS, type BandName, type SpectralBand } from './types.ts';

export interface BandFacts {
  id: SpectralBand;
  /** Central wavelength, nm (Sentinel-2A). */
  wavelength: number;
  /** Native ground sampling distance, m. */
  resolution: 10 | 20 | 60;
  commonName: string;
}

export const BAND_TABLE: Record<SpectralBand, BandFacts> = {
  B01: { id: 'B01', wavelength: 443, resolution: 60, commonName: 'coastal' },
  B02: { id: 'B02', wavelength: 490, resolution: 10, commonName: 'blue' },
  B03: { id: 'B03', wavelength: 560, resolution: 10, commonName: 'green' },
  B04: { id: 'B04', wavelength: 665, resolution: 10, commonName: 'red' },
  B05: { id: 'B05', wavelength: 705, resolution: 20, commonName: 'rededge1' },
  B06: { id: 'B06', wavelength: 740, resolution: 20, commonName: 'rededge2' },
  B07: { id: 'B07', wavelength: 783, resolution: 20, commonName: 'rededge3' },
  B08: { id: 'B08', wavelength: 842, resolution: 10, commonName: 'nir' },
  B8A: { id: 'B8A', wavelength: 865, resolution: 20, commonName: 'nir08' },
  B09: { id: 'B09', wavelength: 945, resolution: 60, commonName: 'nir09' },
  B10: { id: 'B10', wavelength: 1375, resolution: 60, commonName: 'cirrus' },
  B11: { id: 'B11', wavelength: 1610, resolution: 20, commonName: 'swir16' },
  B12: { id: 'B12', wavelength: 2190, resolution: 20, commonName: 'swir22' },
};

/** The ten bands of Llama3-MS-CLIP, also a common stack order. */
export const MODEL_BANDS: readonly SpectralBand[] = ['B02', 'B03', 'B04', 'B05', 'B06', 'B07', 'B08', 'B8A', 'B11', 'B12'];

/** Every band a scene can hold, in product order (the SCL last): how bands are listed. */
export const BAND_ORDER: readonly BandName[] = [...S2_BANDS, 'SCL'];

/** Recognises "B2", "B02", "b8a", "Band 8A", "B04 (red)", "red", "SCL". */
export function parseBandName(text: string): BandName | null {
  const t = text.trim().toLowerCase();
  if (t === 'scl') return 'SCL';
  const m = /^(?:band[\s_-]*|b)0?(\d{1,2}a?)\b/.exec(t);
  if (m) {
    const id = `B${m[1].length === 1 ? `0${m[1]}` : m[1].toUpperCase()}`;
    return (S2_BANDS as readonly string[]).includes(id) ? (id as SpectralBand) : null;
  }
  const byName = Object.values(BAND_TABLE).find((b) => b.commonName === t);
  return byName ? byName.id : null;
}

export type BandIdentification =
  | { ok: true; bands: BandName[]; from: 'descriptions' | 'count' }
  | { ok: false; reason: string };

/**
 * Identifies stored bands from descriptions (when every band has one) or from the count. By
 * description a stack may also hold the SCL layer, e.g. the 12 L2A bands and "SCL".
 */
export function identifyBands(count: number, descriptions: readonly (string | undefined)[]): BandIdentification {
  if (descriptions.length === count && descriptions.every((d) => d && d.trim())) {
    const parsed = descriptions.map((d) => parseBandName(d!));
    const dup = parsed.find((b, i) => b && parsed.indexOf(b) !== i);
    if (parsed.every((b) => b !== null) && !dup) return { ok: true, bands: parsed as BandName[], from: 'descriptions' };
  }
  if (count === 12) return { ok: true, bands: [...L2A_BANDS], from: 'count' };
  if (count === 13) return { ok: true, bands: [...L1C_BANDS], from: 'count' };
  if (count === 10) return { ok: true, bands: [...MODEL_BANDS], from: 'count' };
  return {
    ok: false,
    reason: `it has ${count} band${count === 1 ? '' : 's'} without Sentinel-2 band names`,
  };
}
