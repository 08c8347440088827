"""
Regenerates the two data modules of the CLIP tokenizer from their Python sources:

  html-entities.ts  CPython's html.entities.html5 (what html.unescape uses)
  ftfy-tables.ts    ftfy 6.3.1's single-byte decoding tables and its BADNESS_RE and
                    UTF8_DETECTOR_RE, translated from Python `re` syntax to JavaScript

Needs CPython 3.11 and ftfy 6.3.1 (pure Python; `pip install --target DIR ftfy==6.3.1`):

  PYTHONPATH=DIR python3 scripts/generate-ftfy-tables.py   # writes both into src-main/core/models/tokenizer/
"""
import os, re, html.entities
from re import _parser as P, _constants as C
import ftfy
from ftfy import chardata, badness

assert ftfy.__version__ == '6.3.1', ftfy.__version__

PY_SPACE = ''.join(chr(c) for c in range(0x110000) if chr(c).isspace())

def esc(cp):
    ch = chr(cp)
    if ch.isascii() and ch.isalnum():
        return ch
    return '\\u{%x}' % cp

def cls_item(op, av):
    if op is C.LITERAL:
        return esc(av)
    if op is C.RANGE:
        return esc(av[0]) + '-' + esc(av[1])
    if op is C.CATEGORY:
        if av is C.CATEGORY_SPACE or av is C.CATEGORY_UNI_SPACE:
            return ''.join(esc(ord(c)) for c in PY_SPACE)
        if av is C.CATEGORY_DIGIT or av is C.CATEGORY_UNI_DIGIT:
            return '\\p{Nd}'
        if av is C.CATEGORY_WORD or av is C.CATEGORY_UNI_WORD:
            return '\\p{L}\\p{N}_'  # str.isalnum() or '_' is exactly this in CPython 3.11
        raise ValueError(av)
    raise ValueError(op)

def conv(sub):
    out = ''
    for op, av in sub:
        if op is C.LITERAL:
            out += esc(av)
        elif op is C.NOT_LITERAL:
            out += '[^' + esc(av) + ']'
        elif op is C.ANY:
            out += '[^\\n]'
        elif op is C.IN:
            neg = av and av[0][0] is C.NEGATE
            items = av[1:] if neg else av
            out += '[' + ('^' if neg else '') + ''.join(cls_item(o, a) for o, a in items) + ']'
        elif op is C.BRANCH:
            out += '(?:' + '|'.join(conv(b) for b in av[1]) + ')'
        elif op is C.SUBPATTERN:
            group, add, dele, p = av
            assert not add and not dele
            out += '(?:' + conv(p) + ')'   # groups are never read back
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            lo, hi, p = av
            assert op is not C.POSSESSIVE_REPEAT
            hi_s = '' if hi is C.MAXREPEAT else str(hi)
            q = {(0, ''): '*', (1, ''): '+', (0, '1'): '?'}.get((lo, hi_s), '{%d,%s}' % (lo, hi_s) if hi_s != str(lo) else '{%d}' % lo)
            out += '(?:' + conv(p) + ')' + q + ('?' if op is C.MIN_REPEAT else '')
        elif op is C.AT:
            out += {C.AT_BEGINNING: '^', C.AT_BEGINNING_STRING: '^', C.AT_END: '(?=\\n?$)', C.AT_END_STRING: '$'}[av]
        elif op in (C.ASSERT, C.ASSERT_NOT):
            direction, p = av
            out += '(?' + ('<' if direction < 0 else '') + ('=' if op is C.ASSERT else '!') + conv(p) + ')'
        elif op is C.CATEGORY:
            out += '[' + cls_item(op, av) + ']'
        else:
            raise ValueError((op, av))
    return out

def js_regex(compiled):
    assert compiled.flags & ~(re.VERBOSE | re.UNICODE) == 0, compiled.flags
    return conv(P.parse(compiled.pattern, compiled.flags))

def table(encoding):
    decoded = bytes(range(256)).decode(encoding)
    assert len(decoded) == 256
    # every character must encode back to its own byte with Python's codec (no duplicates)
    for b, ch in enumerate(decoded):
        if b >= 0x80 or b == 0x1A:
            assert ch.encode(encoding) == bytes([b]), (encoding, b)
    return decoded

def js_str(s):
    return "'" + ''.join(esc(ord(c)) if not (c.isascii() and c.isalnum()) else c for c in s) + "'"

def ftfy_tables():
    lines = []
    def print(s=''):
        lines.append(s)
    print('/**')
    print(' * Data for the mojibake repair in fix-encoding.ts, generated from ftfy 6.3.1 and CPython 3.11')
    print(' * codecs by scripts/generate-ftfy-tables.py; do not edit by hand.')
    print(' */')
    print()
    print('/** ftfy.chardata.CHARMAP_ENCODINGS with each one\'s decoding table (byte → character). */')
    print('export const CHARMAP_TABLES: readonly (readonly [name: string, table: string])[] = [')
    for enc in chardata.CHARMAP_ENCODINGS:
        print(f'  [{enc!r}, {js_str(table(enc))}],'.replace('"', "'"))
    print('];')
    print()
    print('/** ftfy.badness.BADNESS_RE, translated (Python `$` → `(?=\\n?$)`, `\\s`/`\\w` → explicit classes). */')
    print(f'export const BADNESS_RE = /{js_regex(badness.BADNESS_RE)}/u;')
    print()
    print('/** ftfy.chardata.UTF8_DETECTOR_RE, translated. */')
    print(f'export const UTF8_DETECTOR_RE = /{js_regex(chardata.UTF8_DETECTOR_RE)}/u;')
    return '\n'.join(lines) + '\n'

def lit(s):
    out = '"'
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out += '\\"'
        elif ch == '\\':
            out += '\\\\'
        elif (o < 0x20 or 0x7f <= o < 0xa0 or 0x300 <= o < 0x370 or 0x20d0 <= o < 0x2100
              or o in (0x2028, 0x2029, 0xfeff) or 0xfe00 <= o <= 0xfe0f or 0x200b <= o <= 0x200f
              or 0x2060 <= o <= 0x206f):
            out += '\\u{%x}' % o
        else:
            out += ch
    return out + '"'


def html_entities():
    items = sorted(html.entities.html5.items())
    lines, cur = [], ''
    for k, v in items:
        e = f'{lit(k)}: {lit(v)}, '
        if len(cur) + len(e) > 110:
            lines.append(cur.rstrip())
            cur = ''
        cur += e
    lines.append(cur.rstrip())
    body = '\n'.join('    ' + l for l in lines)
    return f'''/**
 * The HTML5 named character references, exactly as Python's `html.entities.html5` (CPython
 * 3.11) has them: {len(items)} names, with and without the trailing `;` (the legacy names that
 * browsers accept without one appear both ways). Generated from that dictionary by
 * scripts/generate-ftfy-tables.py; do not edit by hand. html.unescape and ftfy's unescape_html read it.
 */
export const HTML5_ENTITIES: ReadonlyMap<string, string> = new Map(
  Object.entries({{
{body}
  }}),
);
'''


if __name__ == '__main__':
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, '..', 'src-main', 'core', 'models', 'tokenizer', 'html-entities.ts'), 'w', encoding='utf-8') as f:
        f.write(html_entities())
    with open(os.path.join(here, '..', 'src-main', 'core', 'models', 'tokenizer', 'ftfy-tables.ts'), 'w', encoding='utf-8') as f:
        f.write(ftfy_tables())
