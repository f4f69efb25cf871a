// Bytes ⇄ text for task-list files. Pure: no fs. The contract is "nothing lost": for every byte sequence,
// encodeTaskList(decodeTaskList(b).text, decodeTaskList(b).encoding) is byte-identical to b, so the sync layer can
// rewrite a file in the encoding it was found in without touching bytes nobody edited.
//
// Detection order: UTF-8 BOM → UTF-16 LE/BE BOM (even length only) → valid UTF-8 → Latin-1 (every byte maps to the
// code point of the same value, so any byte sequence decodes and re-encodes exactly). UTF-16 is decoded code unit by
// code unit (not through TextDecoder) so that unpaired surrogates survive the round trip.
import type { Diagnostic } from './model';

/** How a task-list file's bytes map to text. `utf8bom` is UTF-8 with a leading EF BB BF. */
export type TaskListEncoding = 'utf8' | 'utf8bom' | 'utf16le' | 'utf16be' | 'latin1';

/** Result of decoding a file: its text (BOM removed), the encoding to write it back in, and any warning. */
export interface DecodedTaskList {
  text: string;
  encoding: TaskListEncoding;
  diagnostics: Diagnostic[];
}

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;
/** Code units per String.fromCharCode call: large enough to be fast, small enough for the engine's argument limit. */
const CHUNK = 8192;

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/** Decodes a task-list file; never throws. A file that is not valid UTF-8 is read as Latin-1 with a `not-utf8` warning. */
export function decodeTaskList(bytes: Uint8Array): DecodedTaskList {
  const n = bytes.length;
  if (n >= 3 && bytes[0] === UTF8_BOM[0] && bytes[1] === UTF8_BOM[1] && bytes[2] === UTF8_BOM[2]) {
    const text = tryUtf8(bytes.subarray(3));
    if (text !== undefined) return { text, encoding: 'utf8bom', diagnostics: [] };
    return latin1WithWarning(bytes, 3);
  }
  // An odd byte count cannot be UTF-16; such a file falls through to the UTF-8/Latin-1 path, which loses nothing.
  if (n >= 2 && n % 2 === 0 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    return { text: decodeUtf16(bytes, 2, true), encoding: 'utf16le', diagnostics: [] };
  }
  if (n >= 2 && n % 2 === 0 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    return { text: decodeUtf16(bytes, 2, false), encoding: 'utf16be', diagnostics: [] };
  }
  const text = tryUtf8(bytes);
  if (text !== undefined) return { text, encoding: 'utf8', diagnostics: [] };
  return latin1WithWarning(bytes, 0);
}

/**
 * Encodes text back into a file's encoding (adding the BOM for `utf8bom`/`utf16*`).
 * Throws a RangeError naming the character and its offset when `latin1` cannot represent the text.
 */
export function encodeTaskList(text: string, encoding: TaskListEncoding): Uint8Array {
  switch (encoding) {
    case 'utf8':
      return utf8Encoder.encode(text);
    case 'utf8bom': {
      const body = utf8Encoder.encode(text);
      const out = new Uint8Array(body.length + 3);
      out.set(UTF8_BOM, 0);
      out.set(body, 3);
      return out;
    }
    case 'utf16le':
    case 'utf16be': {
      const le = encoding === 'utf16le';
      const out = new Uint8Array(2 + text.length * 2);
      out[0] = le ? 0xff : 0xfe;
      out[1] = le ? 0xfe : 0xff;
      for (let i = 0; i < text.length; i++) {
        const u = text.charCodeAt(i);
        out[2 + 2 * i + (le ? 0 : 1)] = u & 0xff;
        out[2 + 2 * i + (le ? 1 : 0)] = u >>> 8;
      }
      return out;
    }
    case 'latin1': {
      const out = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c > 0xff) {
          throw new RangeError(`encodeTaskList: character U+${c.toString(16).toUpperCase().padStart(4, '0')} at offset ${i} cannot be written in latin1`);
        }
        out[i] = c;
      }
      return out;
    }
    default:
      throw new RangeError(`encodeTaskList: unknown encoding ${JSON.stringify(encoding)}; expected utf8, utf8bom, utf16le, utf16be or latin1`);
  }
}

function tryUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

function decodeUtf16(bytes: Uint8Array, start: number, le: boolean): string {
  const parts: string[] = [];
  const units: number[] = new Array(CHUNK);
  let k = 0;
  for (let i = start; i + 1 < bytes.length; i += 2) {
    units[k++] = le ? bytes[i] | (bytes[i + 1] << 8) : (bytes[i] << 8) | bytes[i + 1];
    if (k === CHUNK) {
      parts.push(String.fromCharCode.apply(null, units));
      k = 0;
    }
  }
  if (k > 0) parts.push(String.fromCharCode.apply(null, units.slice(0, k)));
  return parts.join('');
}

function decodeLatin1(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += CHUNK) {
    parts.push(String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK) as unknown as number[]));
  }
  return parts.join('');
}

function latin1WithWarning(bytes: Uint8Array, from: number): DecodedTaskList {
  const bad = firstInvalidUtf8(bytes, from);
  // Lines break at \n, \r\n and a lone \r, as in the parser and the editor.
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < bad; i++) {
    const b = bytes[i];
    if (b === 0x0a || (b === 0x0d && bytes[i + 1] !== 0x0a)) {
      line++;
      lineStart = i + 1;
    }
  }
  const value = bytes[bad] ?? 0;
  return {
    text: decodeLatin1(bytes),
    encoding: 'latin1',
    diagnostics: [
      {
        line,
        // In Latin-1 text one byte is one character, so the byte offset within the line is the column.
        column: bad - lineStart,
        severity: 'warning',
        code: 'not-utf8',
        message:
          `The file is not valid UTF-8 (first bad byte 0x${value.toString(16).toUpperCase().padStart(2, '0')} at byte offset ${bad}, ` +
          `line ${line + 1}); it was read as Latin-1 and will be written back byte for byte`,
        data: { offset: bad, byte: value },
      },
    ],
  };
}

/** Offset of the first byte that breaks UTF-8 well-formedness (RFC 3629), or bytes.length when none does. */
export function firstInvalidUtf8(bytes: Uint8Array, from = 0): number {
  const n = bytes.length;
  let i = from;
  while (i < n) {
    const c = bytes[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0; // no overlong forms
      if (c === 0xed) hi = 0x9f; // no surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f; // nothing above U+10FFFF
    } else return i;
    if (i + need >= n) return i; // truncated sequence at the end of the file
    const b1 = bytes[i + 1];
    if (b1 < lo || b1 > hi) return i;
    for (let k = 2; k <= need; k++) {
      const b = bytes[i + k];
      if (b < 0x80 || b > 0xbf) return i;
    }
    i += need + 1;
  }
  return n;
}
