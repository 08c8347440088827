/**
 * Python's `html.unescape` (CPython 3.11), ported exactly: named references from the full
 * HTML5 table (longest-prefix matching for names without `;`), decimal and hex references
 * with the HTML5 replacements for invalid code points.
 */
import { HTML5_ENTITIES } from './html-entities.ts';

/** Numeric references that HTML5 maps to something else (mostly Windows-1252). */
const INVALID_CHARREFS: ReadonlyMap<number, string> = new Map([
  [0x00, '\ufffd'],
  [0x0d, '\r'],
  [0x80, '\u20ac'],
  [0x81, '\x81'],
  [0x82, '\u201a'],
  [0x83, '\u0192'],
  [0x84, '\u201e'],
  [0x85, '\u2026'],
  [0x86, '\u2020'],
  [0x87, '\u2021'],
  [0x88, '\u02c6'],
  [0x89, '\u2030'],
  [0x8a, '\u0160'],
  [0x8b, '\u2039'],
  [0x8c, '\u0152'],
  [0x8d, '\x8d'],
  [0x8e, '\u017d'],
  [0x8f, '\x8f'],
  [0x90, '\x90'],
  [0x91, '\u2018'],
  [0x92, '\u2019'],
  [0x93, '\u201c'],
  [0x94, '\u201d'],
  [0x95, '\u2022'],
  [0x96, '\u2013'],
  [0x97, '\u2014'],
  [0x98, '\u02dc'],
  [0x99, '\u2122'],
  [0x9a, '\u0161'],
  [0x9b, '\u203a'],
  [0x9c, '\u0153'],
  [0x9d, '\x9d'],
  [0x9e, '\u017e'],
  [0x9f, '\u0178'],
]);

/** Code points a numeric reference silently drops. */
function isInvalidCodepoint(n: number): boolean {
  return (
    (n >= 0x1 && n <= 0x8) ||
    n === 0xb ||
    (n >= 0xe && n <= 0x1f) ||
    (n >= 0x7f && n <= 0x9f) ||
    (n >= 0xfdd0 && n <= 0xfdef) ||
    (n & 0xfffe) === 0xfffe // U+FFFE, U+FFFF, U+1FFFE … U+10FFFF
  );
}

const CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/gu;

function numericRef(digits: string, radix: 10 | 16): string {
  const clean = digits.endsWith(';') ? digits.slice(0, -1) : digits;
  // Very long digit strings overflow to a huge float or Infinity: still > 0x10FFFF, as in Python.
  const num = radix === 16 ? Number.parseInt(clean, 16) : Number(clean);
  const mapped = INVALID_CHARREFS.get(num);
  if (mapped !== undefined) return mapped;
  if ((num >= 0xd800 && num <= 0xdfff) || num > 0x10ffff) return '\ufffd';
  if (isInvalidCodepoint(num)) return '';
  return String.fromCodePoint(num);
}

function replaceCharref(_match: string, s: string): string {
  if (s[0] === '#') {
    return s[1] === 'x' || s[1] === 'X' ? numericRef(s.slice(2), 16) : numericRef(s.slice(1), 10);
  }
  const whole = HTML5_ENTITIES.get(s);
  if (whole !== undefined) return whole;
  // the longest prefix that names an entity (as defined by the standard), by code point
  const chars = Array.from(s);
  for (let x = chars.length - 1; x > 1; x--) {
    const hit = HTML5_ENTITIES.get(chars.slice(0, x).join(''));
    if (hit !== undefined) return hit + chars.slice(x).join('');
  }
  return `&${s}`;
}

/** Python's `html.unescape(s)`. */
export function htmlUnescape(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(CHARREF, replaceCharref);
}
