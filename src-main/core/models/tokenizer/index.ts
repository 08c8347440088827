/** The CLIP BPE tokenizer, matching open_clip's SimpleTokenizer id for id. */
export {
  DEFAULT_CONTEXT_LENGTH,
  EOT_TOKEN,
  PAD_TOKEN,
  SOT_TOKEN,
  createClipTokenizer,
  endTokenIndices,
  tokenize,
  type ClipTokenizer,
} from './clip-tokenizer.ts';
export { cleanText } from './clean-text.ts';
export { buildBpeVocab, type BpeVocab } from './bpe-vocab.ts';
