/**
 * open_clip's text cleaning for the CLIP tokenizer (`clean='lower'`):
 * `whitespace_clean(basic_clean(text)).lower()`, where basic_clean is ftfy.fix_text, then
 * html.unescape twice, then strip.
 */
import { fixText } from './fix-text.ts';
import { htmlUnescape } from './html-unescape.ts';
import { pyCollapseWhitespace, pyStrip } from './python-text.ts';

/** open_clip `basic_clean`. */
export function basicClean(text: string): string {
  return pyStrip(htmlUnescape(htmlUnescape(fixText(text))));
}

/** open_clip `_clean_lower`: what the BPE tokenizer actually sees. */
export function cleanText(text: string): string {
  return pyCollapseWhitespace(basicClean(text)).toLowerCase();
}
