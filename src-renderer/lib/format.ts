/** Small formatting helpers for numbers, durations and paths shown in the UI. */
export const basename = (p: string): string => p.split(/[\\/]/).pop() ?? p;

export function formatScore(v: number): string {
  return Math.abs(v) >= 0.995 ? v.toFixed(2) : v.toFixed(3);
}

export function formatEta(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return '—';
  if (seconds < 1) return '< 1 s';
  if (seconds < 90) return `${Math.ceil(seconds)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - 60 * m)} s`;
}

/** "1 tile", "2,401 tiles". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${formatInt(n)} ${n === 1 ? one : many}`;
}

export function formatInt(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatLonLat([lon, lat]: [number, number]): string {
  const ns = lat >= 0 ? 'N' : 'S';
  const ew = lon >= 0 ? 'E' : 'W';
  return `${Math.abs(lat).toFixed(4)}° ${ns}  ${Math.abs(lon).toFixed(4)}° ${ew}`;
}

export function percent(p: number): string {
  return `${Math.round(p * 100)} %`;
}
