/**
 * `ftfy.fix_text(text)` of ftfy 6.3.1 with its default configuration, which open_clip runs
 * on every prompt before tokenizing. Every step is ported: HTML entities, mojibake repair
 * (fix-encoding.ts), C1 controls, Latin ligatures, character width, curly quotes, line
 * breaks, surrogates, terminal escapes, control characters and NFC.
 *
 * Differences that remain: character properties and NFC/NFKC come from the JavaScript
 * engine's Unicode version rather than Python 3.11's 14.0, and the 1,000,000-character
 * segment limit is counted in UTF-16 units rather than code points.
 */
import { fixEncoding } from './fix-encoding.ts';
import { HTML5_ENTITIES } from './html-entities.ts';
import { htmlUnescape } from './html-unescape.ts';

const MAX_DECODE_LENGTH = 1_000_000;

// ---------------------------------------------------------------- unescape_html

/**
 * ftfy's entity table: every HTML5 name that ends in `;`, plus an all-caps spelling of each
 * all-lowercase name when that spelling means nothing else (`&EACUTE;` → `É`).
 */
function buildFtfyEntities(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, char] of HTML5_ENTITIES) {
    if (!name.endsWith(';')) continue;
    out.set(`&${name}`, char);
    if (name === name.toLowerCase()) {
      const upper = `&${name.toUpperCase()}`;
      if (htmlUnescape(upper) === upper) out.set(upper, char.toUpperCase());
    }
  }
  return out;
}

let ftfyEntities: Map<string, string> | undefined;
const HTML_ENTITY_RE = /&#?[0-9A-Za-z]{1,24};/g;

/** ftfy.fixes.unescape_html: only entities that end in `;`, never a bare `&amp`. */
export function unescapeHtml(text: string): string {
  if (!text.includes('&')) return text;
  ftfyEntities ??= buildFtfyEntities();
  const table = ftfyEntities;
  return text.replace(HTML_ENTITY_RE, (m) => {
    const named = table.get(m);
    if (named !== undefined) return named;
    if (m.startsWith('&#')) {
      const unescaped = htmlUnescape(m);
      return unescaped.includes(';') ? m : unescaped;
    }
    return m;
  });
}

// ---------------------------------------------------------------- character fixers

/** Windows-1252 for U+0080–U+009F; the five bytes it leaves undefined stay as they are. */
const CP1252_C1 =
  '\u20ac\x81\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\x8d\u017d\x8f' +
  '\x90\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\x9d\u017e\u0178';

/** fix_c1_controls: C1 controls read as their Windows-1252 characters, as browsers do. */
export function fixC1Controls(text: string): string {
  return text.replace(/[\x80-\x9f]/g, (c) => CP1252_C1[c.charCodeAt(0) - 0x80]);
}

const LIGATURES: Readonly<Record<string, string>> = {
  'Ĳ': 'IJ',
  'ĳ': 'ij',
  'ŉ': 'ʼn',
  'Ǳ': 'DZ',
  'ǲ': 'Dz',
  'ǳ': 'dz',
  'Ǆ': 'DŽ',
  'ǅ': 'Dž',
  'ǆ': 'dž',
  'Ǉ': 'LJ',
  'ǈ': 'Lj',
  'ǉ': 'lj',
  'Ǌ': 'NJ',
  'ǋ': 'Nj',
  'ǌ': 'nj',
  'ﬀ': 'ff',
  'ﬁ': 'fi',
  'ﬂ': 'fl',
  'ﬃ': 'ffi',
  'ﬄ': 'ffl',
  'ﬅ': 'ſt',
  'ﬆ': 'st',
};
const LIGATURE_RE = new RegExp(`[${Object.keys(LIGATURES).join('')}]`, 'g');

export function fixLatinLigatures(text: string): string {
  return text.replace(LIGATURE_RE, (c) => LIGATURES[c]);
}

let widthMap: Map<string, string> | undefined;

/** U+3000 and the halfwidth/fullwidth forms (U+FF01–U+FFEF) mapped to their NFKC forms. */
function buildWidthMap(): Map<string, string> {
  const map = new Map<string, string>([['\u3000', ' ']]);
  for (let i = 0xff01; i < 0xfff0; i++) {
    const c = String.fromCharCode(i);
    const alt = c.normalize('NFKC');
    if (alt !== c) map.set(c, alt);
  }
  return map;
}

export function fixCharacterWidth(text: string): string {
  if (!/[\u3000\uff01-\uffef]/.test(text)) return text;
  widthMap ??= buildWidthMap();
  const map = widthMap;
  return text.replace(/[\u3000\uff01-\uffef]/g, (c) => map.get(c) ?? c);
}

export function uncurlQuotes(text: string): string {
  return text.replace(/[\u201c-\u201f]/g, '"').replace(/[\u02bc\u2018-\u201b]/g, "'");
}

export function fixLineBreaks(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(/[\r\u2028\u2029\x85]/g, '\n');
}

/** fix_surrogates: in a JS string paired surrogates already form one character; lone ones become U+FFFD. */
export function fixSurrogates(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** ANSI escapes; Python's `\d` matches any Unicode decimal digit. */
const ANSI_RE = /\x1b\[(?:\p{Nd}|;)*[a-zA-Z]/gu;

export function removeTerminalEscapes(text: string): string {
  return text.includes('\x1b') ? text.replace(ANSI_RE, '') : text;
}

export function removeControlChars(text: string): string {
  return text.replace(/[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]/g, '');
}

// ---------------------------------------------------------------- fix_text

/** ftfy.fix_and_explain for one segment, without the explanation. */
function fixSegment(segment: string, unescape: boolean): string {
  let text = segment;
  for (;;) {
    const orig = text;
    if (unescape) text = unescapeHtml(text);
    text = fixEncoding(text);
    text = fixC1Controls(text);
    text = fixLatinLigatures(text);
    text = fixCharacterWidth(text);
    text = uncurlQuotes(text);
    text = fixLineBreaks(text);
    text = fixSurrogates(text);
    text = removeTerminalEscapes(text);
    text = removeControlChars(text);
    text = text.normalize('NFC');
    if (text === orig) return text;
  }
}

/** ftfy.fix_text(text) with ftfy 6.3.1's default configuration. */
export function fixText(text: string): string {
  let unescape = true; // 'auto': off for good once a segment contains '<'
  let out = '';
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos) + 1;
    if (end === 0) end = text.length;
    if (end - pos > MAX_DECODE_LENGTH) end = pos + MAX_DECODE_LENGTH;
    const segment = text.slice(pos, end);
    if (unescape && segment.includes('<')) unescape = false;
    out += fixSegment(segment, unescape);
    pos = end;
  }
  return out;
}
