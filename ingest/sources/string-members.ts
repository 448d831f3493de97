/**
 * A fast path for compact objects of `"key":"string"` members (Coinbase's rates), which JSON.parse is slow on. It
 * gives up (null) at anything else, so whenever it answers it equals `Object.entries(JSON.parse(...))`. Pure.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Index of the quote closing the string that opens at `at`, or -1 if it is not a plain string there. */
function stringEnd(text: string, at: number): number {
  if (text.charCodeAt(at) !== QUOTE) return -1;
  const end = text.indexOf('"', at + 1);
  if (end === -1) return -1;
  for (let i = at + 1; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH || c < 0x20) return -1;
  }
  return end;
}

/** All decimal digits: an array index, or a key JSON.parse would order like one. */
function digitsOnly(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return s.length > 0;
}

/** The members of the object at `text[open]` if all are plain `"key":"string"`, and the index after it; else null. */
export function scanStringMembers(
  text: string,
  open: number,
): { members: [string, string][]; end: number } | null {
  if (text.charCodeAt(open) !== 0x7b) return null;
  const members: [string, string][] = [];
  const keys = new Set<string>();
  let i = open + 1;
  if (text.charCodeAt(i) === 0x7d) return { members, end: i + 1 };
  for (;;) {
    const keyEnd = stringEnd(text, i);
    if (keyEnd === -1 || text.charCodeAt(keyEnd + 1) !== 0x3a) return null;
    const valueEnd = stringEnd(text, keyEnd + 2);
    if (valueEnd === -1) return null;
    const key = text.slice(i + 1, keyEnd);
    if (keys.has(key) || digitsOnly(key)) return null;
    keys.add(key);
    members.push([key, text.slice(keyEnd + 3, valueEnd)]);
    const next = text.charCodeAt(valueEnd + 1);
    if (next === 0x7d) return { members, end: valueEnd + 2 };
    if (next !== 0x2c) return null;
    i = valueEnd + 2;
  }
}

/** Only JSON whitespace from `at` to the end (what JSON.parse accepts after a value). */
export function onlyWhitespaceFrom(text: string, at: number): boolean {
  for (let i = at; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false;
  }
  return true;
}
