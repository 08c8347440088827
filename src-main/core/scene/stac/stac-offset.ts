/**
 * The radiometric offset of a Sentinel-2 STAC item, in stored DN (what mslens subtracts before
 * the model), and the rule that decided it:
 *
 * 1. `earthsearch:boa_offset_applied` (Earth Search): true → 0; false → the processing baseline
 *    rule when the item gives a baseline. Element84 says this property, not the raster:bands
 *    offset, tells the truth: their older items carry offset −0.1 whether or not the +1000 was
 *    taken out of the pixels (github.com/Element84/earth-search/issues/9).
 * 2. `raster:bands` `offset`/`scale` on the band assets (STAC 1.1: `raster:offset`/`raster:scale`
 *    in `bands`): reflectance = DN × scale + offset, so the offset in DN is −offset/scale
 *    (Earth Search: scale 0.0001, offset −0.1 → 1000).
 * 3. `s2:processing_baseline` ≥ 04.00 → 1000 (products from 25 January 2022 store reflectance ×
 *    10000 + 1000), earlier baselines → 0.
 * 4. Nothing declared → 0.
 *
 * Whatever decides, a declared scale must be Sentinel-2 L2A's 0.0001: other scalings (float
 * reflectance, harmonised products rescaled) are not digital numbers the model can read.
 */
import { MslensError } from '../../errors.ts';
import type { BandName } from '../types.ts';

export type OffsetRule = 'earthsearch:boa_offset_applied' | 'raster:bands' | 's2:processing_baseline' | 'none';

export interface OffsetDecision {
  /** Stored DN = reflectance × 10000 + offset. */
  offset: number;
  rule: OffsetRule;
  /** One sentence on why, for `mslens info` and logs. */
  reason: string;
}

/** What one band asset declares about its scaling. */
export interface AssetScaling {
  key: string;
  band: BandName;
  scale?: number;
  offset?: number;
}

const L2A_SCALE = 1e-4;

function baselineOf(props: Record<string, unknown>): { text: string; value: number } | null {
  const v = props['s2:processing_baseline'] ?? props['sentinel:processing_baseline'];
  const text = typeof v === 'number' ? v.toFixed(2) : typeof v === 'string' ? v.trim() : '';
  const value = Number.parseFloat(text);
  return text && Number.isFinite(value) ? { text, value } : null;
}

function baselineDecision(b: { text: string; value: number }, prefix = ''): OffsetDecision {
  return b.value >= 4
    ? { offset: 1000, rule: 's2:processing_baseline', reason: `${prefix}processing baseline ${b.text} (≥ 04.00) stores reflectance × 10000 + 1000` }
    : { offset: 0, rule: 's2:processing_baseline', reason: `${prefix}processing baseline ${b.text} (before 04.00) stores reflectance × 10000 without offset` };
}

export function decideOffset(itemId: string, props: Record<string, unknown>, scalings: readonly AssetScaling[]): OffsetDecision {
  const declared = scalings.filter((s) => s.band !== 'SCL' && (s.scale !== undefined || s.offset !== undefined));
  for (const s of declared) {
    const scale = s.scale ?? 1;
    if (!(Math.abs(scale - L2A_SCALE) <= 1e-9)) {
      throw new MslensError(
        'SCENE_UNREADABLE',
        `The STAC item ${itemId} scales its asset ${s.key} (${s.band}) by ${scale}, not by 0.0001 as Sentinel-2 L2A does: its pixels are not the digital numbers (reflectance × 10000) the model reads. Open an item of a Sentinel-2 L1C/L2A collection (e.g. Earth Search sentinel-2-l2a, Planetary Computer sentinel-2-l2a).`,
        { item: itemId, asset: s.key, scale },
      );
    }
  }
  const baseline = baselineOf(props);
  const applied = props['earthsearch:boa_offset_applied'] ?? props['sentinel:boa_offset_applied'];
  if (applied === true) {
    return { offset: 0, rule: 'earthsearch:boa_offset_applied', reason: 'the item says the +1000 offset was already taken out of the pixels (earthsearch:boa_offset_applied: true)' };
  }
  if (applied === false && baseline) return baselineDecision(baseline, 'earthsearch:boa_offset_applied is false and ');

  if (declared.length) {
    const dns = [...new Set(declared.map((s) => Math.round(-(s.offset ?? 0) / (s.scale ?? L2A_SCALE))))];
    if (dns.length > 1) {
      throw new MslensError('SCENE_UNREADABLE', `The band assets of the STAC item ${itemId} declare different offsets (${dns.map((d) => `${d} DN`).join(', ')}). mslens needs one offset for all bands: use an item of one Sentinel-2 product.`, { item: itemId });
    }
    const [dn] = dns;
    const off = declared[0].offset ?? 0;
    return { offset: dn, rule: 'raster:bands', reason: `raster:bands declares scale 0.0001 and offset ${off}, i.e. ${dn} DN` };
  }
  if (baseline) return baselineDecision(baseline);
  return { offset: 0, rule: 'none', reason: 'the item declares no offset, scale or processing baseline; values are taken as reflectance × 10000' };
}
