/**
 * Flags as the command line gives them, on Node's parseArgs, with the two things it lacks: a
 * one-line message for a flag that doesn't exist ("unknown option --topk; did you mean
 * --top-k?"), and `--no-X` for every boolean `--X` (and `--X` for every `--no-X`), so that
 * `serve --open` and `npm start -- --no-open` both work everywhere.
 */
import { parseArgs } from 'node:util';

export class UsageError extends Error {}

export type FlagTypes = Record<string, 'string' | 'boolean'>;

export interface ParsedFlags {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Edit distance, for suggestions. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = t;
    }
  }
  return d[b.length];
}

/** The known flag nearest to `name`, when it is near enough to be a typo. */
export function nearestFlag(name: string, known: readonly string[]): string | undefined {
  const bare = (s: string) => s.replace(/[-_]/g, '').toLowerCase();
  const same = known.find((k) => bare(k) === bare(name));
  if (same) return same;
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const dd = distance(name.toLowerCase(), k);
    if (dd < bestD) { best = k; bestD = dd; }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

const shown = (s: string): string => (s.length > 40 ? `${s.slice(0, 39)}…` : s).replace(/[\u0000-\u001f\u007f]/g, '');

/** Parses `args` against `flags`; throws UsageError with one line for anything wrong. */
export function parseFlags(args: readonly string[], flags: FlagTypes, opts: { positionals?: boolean } = {}): ParsedFlags {
  const negated = new Map<string, string>();
  for (const [name, type] of Object.entries(flags)) {
    if (type !== 'boolean') continue;
    if (name.startsWith('no-')) negated.set(name.slice(3), name);
    else negated.set(`no-${name}`, name);
  }
  const flipped: Record<string, boolean> = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') { rest.push(...args.slice(i)); break; }
    const m = /^--([^=]+)$/.exec(a);
    if (m && !Object.hasOwn(flags, m[1]) && negated.has(m[1])) { flipped[negated.get(m[1])!] = false; continue; }
    rest.push(a);
  }
  const options = Object.fromEntries(Object.entries(flags).map(([k, type]) => [k, { type }]));
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: opts.positionals ?? true, strict: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    const option = /'(-{1,2}[^' ]+)/.exec(e.message)?.[1] ?? '';
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const name = option.replace(/^-+/, '').replace(/=.*$/, '');
      const near = nearestFlag(name, [...Object.keys(flags), ...negated.keys()]);
      throw new UsageError(`unknown option ${shown(option || name)}${near ? `; did you mean --${near}?` : ''}`);
    }
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const name = option.replace(/^-+/, '');
      throw new UsageError(flags[name] === 'boolean' ? `--${name} takes no value` : `--${name || 'option'} needs a value`);
    }
    if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(`unexpected argument ${JSON.stringify(shown(/'([^']*)'/.exec(e.message)?.[1] ?? ''))}`);
    throw new UsageError(shown(e.message.split('\n')[0]));
  }
  const values: ParsedFlags['values'] = { ...(parsed.values as ParsedFlags['values']) };
  for (const [name, v] of Object.entries(flipped)) values[name] = v;
  return { values, positionals: parsed.positionals };
}
