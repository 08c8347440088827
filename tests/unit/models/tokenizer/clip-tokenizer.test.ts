/**
 * The CLIP tokenizer against open_clip's own token ids: every text of the openclip-ref
 * fixture, and extra cases whose ids were produced by open_clip's SimpleTokenizer code with
 * ftfy 6.3.1 when this test was written.
 */
import { describe, expect, test } from 'vitest';
import { MslensError } from '../../../../src-main/core/errors.ts';
import {
  EOT_TOKEN,
  SOT_TOKEN,
  cleanText,
  createClipTokenizer,
  endTokenIndices,
  tokenize,
} from '../../../../src-main/core/models/tokenizer/index.ts';
import { readFixtureJson } from '../../../helpers/fixtures.ts';

interface Expected {
  texts: { text: string; token_ids: number[]; argmax_index: number; n_bpe_tokens_before_truncation: number }[];
  retrieval: { query: string; query_token_ids: number[] };
}

const expected = readFixtureJson<Expected>('openclip-ref', 'expected.json');
const tokenizer = createClipTokenizer();

function row(text: string, contextLength = 77): number[] {
  return Array.from(tokenizer.tokenize([text], contextLength));
}

function padded(ids: number[], contextLength = 77): number[] {
  return [...ids, ...new Array<number>(contextLength - ids.length).fill(0)];
}

describe('openclip-ref expected.json', () => {
  test.each(expected.texts.map((t) => [t.text.slice(0, 40) || '(empty)', t] as const))('%s', (_label, t) => {
    expect(row(t.text)).toEqual(t.token_ids);
    expect(tokenizer.encode(t.text)).toHaveLength(t.n_bpe_tokens_before_truncation);
    expect(endTokenIndices(Int32Array.from(t.token_ids))[0]).toBe(t.argmax_index);
  });

  test('the retrieval query', () => {
    expect(row(expected.retrieval.query)).toEqual(expected.retrieval.query_token_ids);
  });

  test('a batch is the rows side by side', () => {
    const texts = [...expected.texts.map((t) => t.text), expected.retrieval.query];
    const ids = tokenizer.tokenize(texts);
    expect(ids).toBeInstanceOf(Int32Array);
    expect(ids).toHaveLength(texts.length * 77);
    expect(Array.from(ids)).toEqual([...expected.texts.flatMap((t) => t.token_ids), ...expected.retrieval.query_token_ids]);
    expect(Array.from(endTokenIndices(ids))).toEqual([...expected.texts.map((t) => t.argmax_index), 7]);
  });
});

/** [text, ids up to and including the end token] from open_clip. */
const EXTRA: [string, number[]][] = [
  ['B8A 2024', [49406,321,279,320,273,271,273,275,49407]],  // 'b8a 2024'
  ['farmer\'s field', [49406,10474,568,1570,49407]],  // "farmer's field"
  ['caf\u{e9}', [49406,15304,49407]],  // 'café'
  ['caf&eacute; &amp; bar', [49406,15304,261,2411,49407]],  // 'café & bar'
  ['&amp;', [49406,261,49407]],  // '&'
  ['  lots   of\u{9}whitespace\u{a}\u{a} here  ', [49406,2958,539,4699,2138,763,49407]],  // 'lots of whitespace here'
  ['solar-farm!!! (PV)? #1 @home', [49406,5199,268,3985,995,263,13495,18765,258,272,287,1137,49407]],  // 'solar-farm!!! (pv)? #1 @home'
  ['farmer\u{2019}s \u{201c}field\u{201d}', [49406,10474,568,257,1570,257,49407]],  // 'farmer\'s "field"'
  ['\u{fb01}eld \u{fb02}ood', [49406,1570,7148,49407]],  // 'field flood'
  ['\u{ff2c}\u{ff2f}\u{ff35}\u{ff24}\u{3000}\u{ff2e}\u{ff2f}\u{ff29}\u{ff33}\u{ff25}', [49406,7464,9307,49407]],  // 'loud noise'
  ['\u{1f30a} flood \u{1f600}', [49406,14302,7148,7334,49407]],  // '🌊 flood 😀'
  ['\u{68ee}\u{6797} \u{939}\u{93f}\u{928}\u{94d}\u{926}\u{940}', [49406,162,96,106,162,252,501,29446,26721,26090,19389,29552,25751,49407]],  // '森林 हिन्दी'
  ['cafe\u{301}', [49406,15304,49407]],  // 'café'
  ['&lt;b&gt; &#x41;&#66;', [49406,283,321,285,3937,49407]],  // '<b> ab'
  ['<b>bold</b> &amp; &lt;', [49406,283,321,285,8911,34308,321,285,261,283,49407]],  // '<b>bold</b> & <'
  ['10.5 km\u{b2} \u{bd}', [49406,272,271,269,276,4590,41175,33613,49407]],  // '10.5 km² ½'
  ['\u{130}stanbul \u{3a3}\u{39f}\u{3a6}\u{399}\u{391}\u{3a3}', [49406,328,16384,11231,139,225,138,123,139,228,138,117,138,109,139,480,49407]],  // 'i̇stanbul σοφιας'
  ['don\'t we\'ll they\'re I\'M you\'ve she\'d', [49406,847,713,649,1342,889,982,328,880,592,1200,1043,1896,49407]],  // "don't we'll they're i'm you've she'd"
  ['\u{0}ctrl\u{7} \u{1b}[31mred\u{1b}[0m \u{feff}bom', [49406,35602,331,736,19469,49407]],  // 'ctrl red bom'
  ['line\u{d}\u{a}break\u{2028}sep\u{85}nel', [49406,1148,2568,10434,959,2693,49407]],  // 'line break sep…nel'
  ['&AMP; &EACUTE; &amp;amp; &#0; &#128; &#x110000; &notit; &nbsp;x', [49406,261,4166,261,39802,6309,39802,126,361,585,282,343,49407]],  // '& é & � € � ¬it; x'
  ['a\u{a0}b\u{2003}c\u{200b}d', [49406,320,321,322,9844,323,49407]],  // 'a b c\u200bd'
  ['caf\u{c3}\u{a9} in S\u{c3}\u{a3}o Paulo', [49406,15304,530,45911,21628,49407]],  // 'café in são paulo'
  ['it\u{e2}\u{20ac}\u{2122}s a \u{e2}\u{20ac}\u{153}flood\u{e2}\u{20ac}\u{9d}', [49406,585,568,320,257,7148,257,49407]],  // 'it\'s a "flood"'
  ['voil\u{c3} le travail', [49406,947,543,21259,579,752,21189,49407]],  // 'voilà le travail'
  ['\u{c3}\u{a0} la mode', [49406,21259,1210,6493,49407]],  // 'à la mode'
  ['<start_of_text>x<end_of_text>', [49406,49406,343,49407,49407]],  // '<start_of_text>x<end_of_text>'
  ['\u{1f80}\u{345} a\u{345}b', [49406,157,122,478,320,321,49407]],  // 'ᾀͅ aͅb'
  ['Sentinel-2 L2A, bands B02/B03/B04 (10 m) \u{2014} NDVI > 0.6', [49406,23123,268,273,331,273,320,267,7858,321,271,273,270,321,271,274,270,321,271,275,263,272,271,332,264,2005,5625,4259,285,271,269,277,49407]],  // 'sentinel-2 l2a, bands b02/b03/b04 (10 m) — ndvi > 0.6'
];

describe('extra cases (punctuation, digits, unicode, HTML, whitespace, mojibake)', () => {
  test.each(EXTRA)('%j', (text, ids) => {
    expect(row(text)).toEqual(padded(ids));
  });
});

describe('cleaning', () => {
  test.each([
    ['  Farmer\u2019s   FIELD\t\n', "farmer's field"],
    ['caf&eacute; &amp;amp; &lt;3', 'caf\u00e9 & <3'],
    ['\uff33\uff4f\uff4c\uff41\uff52 \ufb01eld', 'solar field'],
    ['cafe\u0301', 'caf\u00e9'],
    ['caf\u00c3\u00a9', 'caf\u00e9'],
    ['\u001b[1;31malert\u001b[0m', 'alert'],
    ['a\u001cb\u0085c', 'ab\u2026c'],
    ['', ''],
  ])('%j → %j', (input, output) => {
    expect(cleanText(input)).toBe(output);
  });
});

describe('truncation and helpers', () => {
  test('a long text keeps start + 75 tokens and ends with the end token', () => {
    const text = Array.from({ length: 200 }, (_, i) => `w${i}`).join(' ');
    const ids = row(text);
    const all = tokenizer.encode(text);
    expect(all.length).toBeGreaterThan(75);
    expect(ids).toEqual([SOT_TOKEN, ...all.slice(0, 75), EOT_TOKEN]);
  });

  test('exactly 75 tokens still fit', () => {
    const text = Array.from({ length: 75 }, () => 'snow').join(' ');
    expect(tokenizer.encode(text)).toHaveLength(75);
    expect(row(text)).toEqual([SOT_TOKEN, ...new Array<number>(75).fill(2583), EOT_TOKEN]);
  });

  test('other context lengths', () => {
    expect(row('snow', 5)).toEqual([SOT_TOKEN, 2583, EOT_TOKEN, 0, 0]);
    expect(row('a satellite image of a forest.', 5)).toEqual([SOT_TOKEN, 320, 10316, 2867, EOT_TOKEN]);
    expect(Array.from(endTokenIndices(tokenizer.tokenize(['snow', ''], 5), 5))).toEqual([2, 1]);
  });

  test('an end token typed in the text: the first one is taken, as torch.argmax does', () => {
    const ids = tokenizer.tokenize(['snow <end_of_text> ice']);
    expect(Array.from(ids.slice(0, 6))).toEqual([SOT_TOKEN, 2583, EOT_TOKEN, 733, EOT_TOKEN, 0]);
    expect(endTokenIndices(ids)[0]).toBe(2);
  });

  test('no texts, bad arguments', () => {
    expect(tokenizer.tokenize([])).toHaveLength(0);
    expect(() => tokenizer.tokenize(['x'], 1)).toThrow(MslensError);
    expect(() => tokenizer.tokenize([3 as unknown as string])).toThrow(MslensError);
    expect(() => endTokenIndices(new Int32Array(10))).toThrow(/whole rows/);
  });

  test('the shared tokenizer is reused', () => {
    expect(createClipTokenizer()).toBe(tokenizer);
    expect(Array.from(tokenize(['snow']))).toEqual(row('snow'));
  });
});
