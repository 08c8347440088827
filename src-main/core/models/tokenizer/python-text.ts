/**
 * Python `str` behaviour that differs from JavaScript's and matters for exact tokenization.
 */

/**
 * The characters for which Python's `str.isspace()` is true (CPython 3.11). JavaScript's `\s`
 * differs: it lacks U+001C–U+001F and U+0085 and adds U+FEFF.
 */
export const PY_WHITESPACE = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

const RUNS = new RegExp(`[${PY_WHITESPACE}]+`, 'g');
const EDGES = new RegExp(`^[${PY_WHITESPACE}]+|[${PY_WHITESPACE}]+$`, 'g');

/** Python's `s.strip()`. */
export function pyStrip(s: string): string {
  return s.replace(EDGES, '');
}

/** Python's `" ".join(s.split())`: whitespace runs become one space, ends trimmed. */
export function pyCollapseWhitespace(s: string): string {
  return pyStrip(s).replace(RUNS, ' ');
}
