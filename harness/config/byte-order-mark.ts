/**
 * U+FEFF. Windows editors start UTF-8 files with it; anywhere else it is an
 * invisible character that makes JSON fail to parse or a label differ from
 * its twin, and error messages that quote it show nothing. Messages name it.
 */
export const BYTE_ORDER_MARK = '\uFEFF';
export const BYTE_ORDER_MARK_NAME = 'a byte-order mark (U+FEFF)';

/** The text without the byte-order mark a file may start with. */
export function withoutLeadingByteOrderMark(text: string): string {
  return text.startsWith(BYTE_ORDER_MARK) ? text.slice(1) : text;
}

/** Where the text holds a byte-order mark, as "line L, column C" (1-based), or undefined. */
export function byteOrderMarkAt(text: string): string | undefined {
  const index = text.indexOf(BYTE_ORDER_MARK);
  if (index < 0) return undefined;
  const before = text.slice(0, index).split('\n');
  return `line ${before.length}, column ${before.at(-1)!.length + 1}`;
}
