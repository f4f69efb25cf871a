// Where a UTF-8 task-list file changed, found in its bytes. A save that ticks one checkbox in a 1 MB plan should cost
// a comparison of two buffers (native memcmp) and the decoding of one line, not the decoding of 1 MB into a new
// string on every sync: those strings are the bulk of what a burst of saves leaves for the garbage collector.
//
// In UTF-8 the bytes 0x0A (`\n`) and 0x0D (`\r`) only ever stand for themselves (every byte of a multi-byte sequence
// is ≥ 0x80), so line boundaries in the bytes are line boundaries in the text, and a region cut at them decodes on its
// own. UTF-8 validity is local too: the file is valid when the unchanged part was and the changed region is.
import type { ChangedLines } from '../../core/incremental';
import { splitLines } from '../../core/textLines';

const CR = 0x0d;
const LF = 0x0a;
const CHUNK = 16 * 1024;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The lines that differ between two UTF-8 files, decoded: 'same' for identical bytes; undefined when the new bytes
 * are not plain UTF-8 (invalid, or a BOM appeared) or when the change touches a `\r\n` pair (then only a full decode
 * can tell the lines apart). `prev` MUST be plain UTF-8 (no BOM).
 */
export function changedUtf8Lines(prev: Uint8Array, next: Uint8Array): ChangedLines | 'same' | undefined {
  const a = Buffer.from(prev.buffer, prev.byteOffset, prev.byteLength);
  const b = Buffer.from(next.buffer, next.byteOffset, next.byteLength);
  if (a.length === b.length && a.equals(b)) return 'same';
  const n = Math.min(a.length, b.length);
  let p = 0;
  while (p + CHUNK <= n && a.compare(b, p, p + CHUNK, p, p + CHUNK) === 0) p += CHUNK;
  while (p < n && a[p] === b[p]) p++;
  const max = n - p;
  let s = 0;
  while (s + CHUNK <= max && a.compare(b, b.length - s - CHUNK, b.length - s, a.length - s - CHUNK, a.length - s) === 0) s += CHUNK;
  while (s < max && a[a.length - 1 - s] === b[b.length - 1 - s]) s++;
  // Same rules as the text version (src/core/incremental.ts): never split or join a `\r\n` pair.
  if (p > 0 && a[p - 1] === CR && (a[p] === LF || b[p] === LF)) return undefined;
  if (s > 0 && a[a.length - s] === LF && (a[a.length - s - 1] === CR || b[b.length - s - 1] === CR)) return undefined;
  let start = p;
  while (start > 0 && a[start - 1] !== LF && a[start - 1] !== CR) start--;
  let endA = a.length - s;
  while (endA < a.length && a[endA] !== LF && a[endA] !== CR) endA++;
  const endB = endA - a.length + b.length;
  // A BOM written at the very start changes the file's encoding: the full decoder decides.
  if (start === 0 && b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return undefined;
  let before: string;
  let after: string;
  try {
    before = strictUtf8.decode(a.subarray(start, endA));
    after = strictUtf8.decode(b.subarray(start, endB));
  } catch {
    return undefined; // not UTF-8 any more
  }
  return { firstLine: countLineBreaks(a, start), before: splitLines(before), after: splitLines(after) };
}

/** Line breaks (`\r\n`, `\r`, `\n`) in `buf` before `end`, which starts a line. */
function countLineBreaks(buf: Buffer, end: number): number {
  let lines = 0;
  for (let i = buf.indexOf(LF); i >= 0 && i < end; i = buf.indexOf(LF, i + 1)) lines++;
  // Lone `\r` breaks (old Mac files) are rare: only then are they counted one by one.
  for (let i = buf.indexOf(CR); i >= 0 && i < end; i = buf.indexOf(CR, i + 1)) if (buf[i + 1] !== LF) lines++;
  return lines;
}
