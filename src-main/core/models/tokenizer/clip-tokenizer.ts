/**
 * open_clip's `SimpleTokenizer` (what `open_clip.get_tokenizer("ViT-B-16")` returns),
 * reproducing its token ids exactly: the same cleaning (ftfy.fix_text, html.unescape twice,
 * whitespace, lower-case), pre-tokenizing regex, byte-level BPE, start/end tokens, zero
 * padding and truncation.
 *
 * Known differences, all from Unicode versions (Python 3.11 and the `regex` module open_clip
 * used know Unicode 14/15; V8 knows a newer one): characters assigned after Unicode 15 and
 * unassigned code points may be split or lower-cased differently. Text made of assigned
 * characters, mojibake included, gives the same ids.
 */
import { MslensError } from '../../errors.ts';
import { END_OF_TEXT, START_OF_TEXT, buildBpeVocab, type BpeVocab } from './bpe-vocab.ts';
import { cleanText } from './clean-text.ts';

export const SOT_TOKEN = 49406;
export const EOT_TOKEN = 49407;
export const PAD_TOKEN = 0;
export const DEFAULT_CONTEXT_LENGTH = 77;

/**
 * open_clip's pattern. Python's `regex` `\s` is the White_Space property; after cleaning only
 * plain spaces are left anyway. `iu` gives the same simple case folding as regex.IGNORECASE.
 */
const PRETOKENIZE =
  /<start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\p{White_Space}\p{L}\p{N}]+/giu;
/**
 * U+0345 (a combining mark that case-folds to ι): under IGNORECASE, Python's `regex` matches it
 * with neither `[\p{L}]` nor the negated class, so findall skips it like a space; JavaScript's
 * /iu counts it as a letter. Turning it into a space first gives Python's tokens.
 */
const IOTA_SUBSCRIPT = /\u0345/g;

export interface ClipTokenizer {
  /** BPE token ids of one text, without start/end tokens or truncation. */
  encode(text: string): number[];
  /** Token ids, `texts.length` rows of `contextLength`, row-major (open_clip's `tokenizer(texts)`). */
  tokenize(texts: readonly string[], contextLength?: number): Int32Array;
}

const encoder = new TextEncoder();

class SimpleTokenizer implements ClipTokenizer {
  private readonly cache = new Map<string, readonly number[]>();

  constructor(private readonly vocab: BpeVocab) {
    this.cache.set(START_OF_TEXT, [SOT_TOKEN]);
    this.cache.set(END_OF_TEXT, [EOT_TOKEN]);
  }

  /** A pre-token's characters → the printable stand-ins for its UTF-8 bytes. */
  private byteString(token: string): string {
    let ascii = true;
    for (let i = 0; i < token.length; i++) {
      const c = token.charCodeAt(i);
      if (c < 0x21 || c > 0x7e) {
        ascii = false;
        break;
      }
    }
    if (ascii) return token; // printable ASCII stands for itself
    const bytes = encoder.encode(token);
    let s = '';
    for (const b of bytes) s += this.vocab.byteEncoder[b];
    return s;
  }

  /** open_clip `bpe()`: repeatedly merge the adjacent pair with the lowest rank. */
  private bpe(token: string): readonly number[] {
    const cached = this.cache.get(token);
    if (cached) return cached;
    const chars = Array.from(token);
    let word = chars.slice(0, -1);
    word.push(`${chars[chars.length - 1]}</w>`);
    const { ranks, encoder: enc } = this.vocab;
    while (word.length > 1) {
      let best = Infinity;
      let first = '';
      let second = '';
      for (let i = 0; i < word.length - 1; i++) {
        const r = ranks.get(`${word[i]} ${word[i + 1]}`);
        if (r !== undefined && r < best) {
          best = r;
          first = word[i];
          second = word[i + 1];
        }
      }
      if (best === Infinity) break;
      const merged: string[] = [];
      for (let i = 0; i < word.length; ) {
        if (word[i] === first && i < word.length - 1 && word[i + 1] === second) {
          merged.push(first + second);
          i += 2;
        } else {
          merged.push(word[i]);
          i += 1;
        }
      }
      word = merged;
    }
    const ids = word.map((sym) => {
      const id = enc.get(sym);
      if (id === undefined) throw new MslensError('INTERNAL', `The CLIP vocabulary has no symbol for "${sym}".`);
      return id;
    });
    this.cache.set(token, ids);
    return ids;
  }

  encode(text: string): number[] {
    const out: number[] = [];
    for (const m of cleanText(text).replace(IOTA_SUBSCRIPT, ' ').matchAll(PRETOKENIZE)) {
      for (const id of this.bpe(this.byteString(m[0]))) out.push(id);
    }
    return out;
  }

  tokenize(texts: readonly string[], contextLength = DEFAULT_CONTEXT_LENGTH): Int32Array {
    if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) {
      throw new MslensError('BAD_ARGUMENT', 'The tokenizer needs a list of texts.');
    }
    if (!Number.isInteger(contextLength) || contextLength < 2) {
      throw new MslensError('BAD_ARGUMENT', `The context length must be an integer of at least 2, not ${contextLength}.`, {
        contextLength: String(contextLength),
      });
    }
    const out = new Int32Array(texts.length * contextLength); // zero = padding
    texts.forEach((text, row) => {
      const ids = this.encode(text);
      const base = row * contextLength;
      out[base] = SOT_TOKEN;
      const n = Math.min(ids.length, contextLength - 2);
      for (let i = 0; i < n; i++) out[base + 1 + i] = ids[i];
      // too long: keep start + the first contextLength - 2 tokens, end token in the last slot
      out[base + 1 + n] = EOT_TOKEN;
    });
    return out;
  }
}

let shared: ClipTokenizer | undefined;

/**
 * The CLIP tokenizer. The vocabulary (≈3 MB) is loaded on first use and shared; each
 * tokenizer keeps its own per-word BPE cache.
 */
export function createClipTokenizer(vocab?: BpeVocab): ClipTokenizer {
  if (vocab) return new SimpleTokenizer(vocab);
  shared ??= new SimpleTokenizer(buildBpeVocab());
  return shared;
}

/** `createClipTokenizer().tokenize(texts, contextLength)`: N × contextLength ids, row-major. */
export function tokenize(texts: readonly string[], contextLength = DEFAULT_CONTEXT_LENGTH): Int32Array {
  return createClipTokenizer().tokenize(texts, contextLength);
}

/**
 * For each row of `ids`, where the text feature is taken: the argmax of the ids, which is the
 * end token (49407 is the largest id). Like torch's argmax, the first maximum wins.
 */
export function endTokenIndices(ids: Int32Array, contextLength = DEFAULT_CONTEXT_LENGTH): Int32Array {
  if (ids.length % contextLength !== 0) {
    throw new MslensError('BAD_ARGUMENT', `${ids.length} token ids do not make whole rows of ${contextLength}.`);
  }
  const rows = ids.length / contextLength;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * contextLength;
    let best = 0;
    for (let i = 1; i < contextLength; i++) if (ids[base + i] > ids[base + best]) best = i;
    out[r] = best;
  }
  return out;
}
