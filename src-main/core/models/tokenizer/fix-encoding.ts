/** Placeholder: mojibake repair (ftfy.fix_encoding). */
export function fixEncoding(text: string): string {
  return text;
}
