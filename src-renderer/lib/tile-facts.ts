/** The facts a result shows about its tile: the scene's date, and the SCL mask fractions when known. */
import type { TileRef } from '$api';
import { percent } from './format';

export interface MaskShare {
  label: 'cloud' | 'shadow' | 'snow' | 'nodata';
  value: number;
}

/** The tile's known mask fractions, in a fixed order; empty when the scene had no SCL. */
export function maskShares(t: TileRef): MaskShare[] {
  const all: [MaskShare['label'], number | null][] = [['cloud', t.cloudFraction], ['shadow', t.shadowFraction], ['snow', t.snowFraction], ['nodata', t.nodataFraction]];
  return all.filter((e): e is [MaskShare['label'], number] => e[1] !== null).map(([label, value]) => ({ label, value }));
}

/** "2024-06-12 · cloud 12 %": the date and, when known, the cloud fraction. */
export function factsLine(t: TileRef): string {
  return [t.date, t.cloudFraction === null ? null : `cloud ${percent(t.cloudFraction)}`].filter(Boolean).join(' · ');
}
