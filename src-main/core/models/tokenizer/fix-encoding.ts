/**
 * ftfy 6.3.1's mojibake repair (`ftfy.fix_encoding`): when text looks like UTF-8 that was
 * decoded with a single-byte encoding ("cafÃ©", "â€™"), re-encode it with that encoding and
 * decode it as UTF-8. A port of `_fix_encoding_one_step_and_explain` and the byte-level
 * fixers it uses, with ftfy's own tables and regexes (ftfy-tables.ts, generated).
 *
 * Byte strings are handled as "binary strings" (one char per byte, U+0000–U+00FF) so that
 * ftfy's byte regexes can be written as ordinary JavaScript regexes.
 */
import { BADNESS_RE, CHARMAP_TABLES, UTF8_DETECTOR_RE } from './ftfy-tables.ts';

interface Charmap {
  readonly name: string;
  /** Character → byte, for the bytes 0x80–0xFF and 0x1A (ASCII other than 0x1A maps to itself). */
  readonly encode: ReadonlyMap<string, number>;
}

const CHARMAPS: readonly Charmap[] = CHARMAP_TABLES.map(([name, table]) => {
  const encode = new Map<string, number>();
  for (let b = 0xff; b >= 0x80; b--) encode.set(table[b], b);
  encode.set(table[0x1a], 0x1a);
  return { name, encode };
});

/** Python `bytes(text.encode(enc))` when `possible_encoding(text, enc)`, else null. */
function encodeWith(text: string, map: Charmap): string | null {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0) as number;
    if (c < 0x80 && c !== 0x1a) {
      out += ch;
      continue;
    }
    const b = map.encode.get(ch);
    if (b === undefined) return null;
    out += String.fromCharCode(b);
  }
  return out;
}

function isAscii(text: string): boolean {
  return /^[\x00-\x7f]*$/.test(text);
}

export function isBad(text: string): boolean {
  return BADNESS_RE.test(text);
}

// ---------------------------------------------------------------- byte fixers

const A_GRAVE_WORD = /\xc3 (?! |quele|quela|quilo|s )/g;
const ALTERED_UTF8 =
  /[\xc2\xc3\xc5\xce\xd0\xd9] |[\xe2\xe3] [\x80-\x84\x86-\x9f\xa1-\xbf]|[\xe0-\xe3][\x80-\x84\x86-\x9f\xa1-\xbf] |\xf0 [\x80-\xbf][\x80-\xbf]|\xf0[\x80-\xbf] [\x80-\xbf]|\xf0[\x80-\xbf][\x80-\xbf] /g;
const LOSSY_UTF8 = new RegExp(
  [
    '[\\xc2-\\xdf]\\x1a',
    '[\\xc2-\\xc3]\\?',
    '\\xed[\\xa0-\\xaf][\\x1a?]\\xed[\\xb0-\\xbf][\\x1a?\\x80-\\xbf]',
    '\\xed[\\xa0-\\xaf][\\x1a?\\x80-\\xbf]\\xed[\\xb0-\\xbf][\\x1a?]',
    '[\\xe0-\\xef][\\x1a?][\\x1a\\x80-\\xbf]',
    '[\\xe0-\\xef][\\x1a\\x80-\\xbf][\\x1a?]',
    '[\\xf0-\\xf4][\\x1a?][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf]',
    '[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a?][\\x1a\\x80-\\xbf]',
    '[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf][\\x1a?]',
    '\\x1a',
  ].join('|'),
  'g',
);

const HAS_ALTERED_UTF8 = new RegExp(ALTERED_UTF8.source);

/** fixes.restore_byte_a0: put back 0xA0 bytes that became spaces inside UTF-8 sequences. */
function restoreByteA0(bytes: string): string {
  return bytes.replace(A_GRAVE_WORD, '\xc3\xa0 ').replace(ALTERED_UTF8, (m) => m.replace(/ /g, '\xa0'));
}

/** fixes.replace_lossy_sequences: UTF-8 sequences damaged by a lossy codec become U+FFFD's bytes. */
function replaceLossySequences(bytes: string): string {
  return bytes.replace(LOSSY_UTF8, '\xef\xbf\xbd');
}

// ---------------------------------------------------------------- decoding

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function binaryToBytes(bytes: string): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes.charCodeAt(i);
  return out;
}

/** Python's strict `bytes.decode('utf-8')`; null where Python raises. */
function decodeUtf8(bytes: string): string | null {
  try {
    return strictUtf8.decode(binaryToBytes(bytes));
  } catch {
    return null;
  }
}

/** Python `$` in a bytes pattern: the end, or just before a final newline. */
const END = '(?=\\n?$)';
const CESU8 = new RegExp(`^\\xed(?:[\\xa0-\\xaf]|${END})(?:[\\x80-\\xbf]|${END})(?:\\xed|${END})(?:[\\xb0-\\xbf]|${END})(?:[\\x80-\\xbf]|${END})`);
const SPECIAL_BYTES = new RegExp(
  [
    `\\xc0(?:\\x80|${END})`,
    `\\xed(?:[\\xa0-\\xaf]|${END})(?:[\\x80-\\xbf]|${END})(?:\\xed|${END})(?:[\\xb0-\\xbf]|${END})(?:[\\x80-\\xbf]|${END})`,
    `\\xed(?:[\\xa0-\\xbf]|${END})(?:[\\x80-\\xbf]|${END})`,
  ].join('|'),
);

/**
 * ftfy's "utf-8-variants" codec (strict): UTF-8 plus CESU-8 surrogate pairs and Java's
 * 0xC0 0x80 for U+0000. A port of its incremental decoder run with final=True.
 */
function decodeUtf8Variants(input: string): string | null {
  let out = '';
  let rest = input;
  while (rest.length > 0) {
    const m = SPECIAL_BYTES.exec(rest);
    if (!m) {
      const s = decodeUtf8(rest);
      return s === null ? null : out + s;
    }
    if (m.index > 0) {
      const s = decodeUtf8(rest.slice(0, m.index));
      if (s === null) return null;
      out += s;
      rest = rest.slice(m.index);
      continue;
    }
    if (rest.charCodeAt(0) === 0xc0) {
      if (rest.length > 1) {
        out += '\u0000';
        rest = rest.slice(2);
        continue;
      }
      return null; // a lone 0xC0 at the end
    }
    // 0xED: a CESU-8 surrogate pair, or an invalid lone surrogate
    if (rest.length < 6 || !CESU8.test(rest)) return null;
    const b = (i: number): number => rest.charCodeAt(i);
    const cp = ((b(1) & 0x0f) << 16) + ((b(2) & 0x3f) << 10) + ((b(4) & 0x0f) << 6) + (b(5) & 0x3f) + 0x10000;
    out += String.fromCodePoint(cp);
    rest = rest.slice(6);
  }
  return out;
}

/** Windows-1252, strict: the five undefined bytes fail, as in Python's cp1252 codec. */
const CP1252_HIGH = CHARMAP_TABLES.find(([n]) => n === 'sloppy-windows-1252')?.[1] ?? '';
const CP1252_UNDEFINED = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d]);

function latin1AsWindows1252(text: string): string | null {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80 && c <= 0x9f) {
      if (CP1252_UNDEFINED.has(c)) return null;
      out += CP1252_HIGH[c];
    } else {
      out += text[i];
    }
  }
  return out;
}

function fixC1(text: string): string {
  return text.replace(/[\x80-\x9f]/g, (c) => CP1252_HIGH[c.charCodeAt(0)]);
}

// ---------------------------------------------------------------- fix_encoding

const UTF8_DETECTOR_GLOBAL = new RegExp(UTF8_DETECTOR_RE.source, 'gu');

/** fixes.decode_inconsistent_utf8: fix mojibake runs embedded in otherwise fine text. */
function decodeInconsistentUtf8(text: string): string {
  return text.replace(UTF8_DETECTOR_GLOBAL, (substr) => (substr.length < text.length && isBad(substr) ? fixEncoding(substr) : substr));
}

function fixEncodingOneStep(text: string): string {
  if (text.length === 0 || isAscii(text) || !isBad(text)) return text;

  const possible: string[] = [];
  for (const map of CHARMAPS) {
    let bytes = encodeWith(text, map);
    if (bytes === null) continue;
    possible.push(map.name);
    if (map.name !== 'macroman' && HAS_ALTERED_UTF8.test(bytes)) bytes = restoreByteA0(bytes);
    if (map.name.startsWith('sloppy')) bytes = replaceLossySequences(bytes);
    const fixed = /[\xc0\xed]/.test(bytes) ? decodeUtf8Variants(bytes) : decodeUtf8(bytes);
    if (fixed !== null) return fixed;
  }

  if (UTF8_DETECTOR_RE.test(text)) {
    const fixed = decodeInconsistentUtf8(text);
    if (fixed !== text) return fixed;
  }

  // ftfy tests `"windows-1252" in possible_1byte_encodings`, which never holds (the list names
  // "sloppy-windows-1252"), so Latin-1 text is always retried as strict Windows-1252.
  if (possible.includes('latin-1')) {
    const fixed = latin1AsWindows1252(text);
    if (fixed !== null && fixed !== text) return fixed;
  }

  if (/[\x80-\x9f]/.test(text)) return fixC1(text);
  return text;
}

/** ftfy.fix_encoding(text): repeat the one-step fix until nothing changes. */
export function fixEncoding(text: string): string {
  let current = text;
  for (;;) {
    const next = fixEncodingOneStep(current);
    if (next === current) return current;
    current = next;
  }
}
