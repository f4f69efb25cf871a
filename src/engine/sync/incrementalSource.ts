// The markdown as one sync reads it, and the incremental parser's base that makes a one-line change to a huge file
// cost a line, not a file. A disk read is diffed against the last file's bytes (byteDiff.ts) and only the changed
// lines are decoded and re-parsed (src/core/incremental.ts); an editor's text, or a text a sync edited, is patched
// from the last text. Whatever cannot be patched (a line added, a heading edited…) is parsed whole. SyncService
// (syncService.ts) owns one of these; nothing here touches the database or writes a file.
import { decodeTaskList, type TaskListEncoding } from '../../core/decode';
import { reparseChangedLines, reparseIncremental } from '../../core/incremental';
import type { Diagnostic, TaskList } from '../../core/model';
import { parseTaskList, type ParseOptions } from '../../core/parser';
import { changedUtf8Lines } from './byteDiff';

/** The markdown one sync works on: a file read from disk, or an open editor's (possibly unsaved) text. */
export interface Source {
  kind: 'disk' | 'editor';
  /** The markdown text. For a disk read patched from its bytes' diff, a getter that decodes the file on first use. */
  readonly text: string;
  /** Disk only: the bytes read (valid during this sync attempt only: the reader reuses its buffer). */
  bytes?: Uint8Array;
  /** Parses `text` the way the disk read found best (patching from the bytes' diff); called only if a parse is needed. */
  parse?: () => TaskList;
  encoding: TaskListEncoding;
  decodeDiagnostics: Diagnostic[];
  /** Disk only: sha256 of the bytes read, checked again just before the file is replaced. */
  bytesChecksum?: string;
  /** sha256 of the text's UTF-8 when already known (equal to bytesChecksum for a plain UTF-8 file). */
  textChecksum?: string;
  /** Set once this sync replaced the file. */
  wroteFile?: boolean;
}

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** Reads and parses the markdown of successive syncs, each from the last one where it can. */
export class IncrementalSource {
  /**
   * The incremental parser's base: the last markdown parsed and its exact parse (not the synced list, whose statuses
   * may be patched). A plain UTF-8 file is kept as its bytes (in `baseBuf`), so the next disk sync diffs bytes and
   * decodes only the lines that changed; an editor's text, or a text a sync edited, is kept as text.
   */
  private parsed?: { list: TaskList; text?: string; bytes?: Uint8Array };
  private baseBuf = new Uint8Array(0);
  /**
   * The other of two buffers a UTF-8 base alternates between: a base's bytes stay readable through the next sync's
   * parse, so that sync can still read the markdown the last one left (previous()).
   */
  private spareBuf = new Uint8Array(0);

  /** `parseOptions`: how every full parse reads the file (the incremental parser keeps what the last full parse decided). */
  constructor(private readonly parseOptions: ParseOptions) {}

  /**
   * A disk read as a sync source. When the last base is a UTF-8 file's bytes, the change is found in the bytes and
   * only its lines are decoded and re-parsed; the whole text is decoded only if something needs it (a full parse,
   * an edit to write back).
   */
  fromDisk(bytes: Uint8Array, bytesChecksum: string): Source {
    const base = this.parsed;
    if (base?.bytes) {
      const change = changedUtf8Lines(base.bytes, bytes);
      if (change) {
        let text: string | undefined;
        const src: Source = {
          kind: 'disk',
          get text() {
            return (text ??= utf8.decode(bytes));
          },
          bytes,
          encoding: 'utf8',
          decodeDiagnostics: [],
          bytesChecksum,
          textChecksum: bytesChecksum,
        };
        // Not patchable (a line added, a heading edited…): the whole file is parsed; its bytes still become the base.
        src.parse = () => (change === 'same' ? base.list : reparseChangedLines(base.list, change)) ?? parseTaskList(src.text, this.parseOptions);
        return src;
      }
    }
    const dec = decodeTaskList(bytes);
    // Valid UTF-8 without a BOM re-encodes to exactly these bytes, so the text's checksum is the bytes' (one hash, not two).
    const textChecksum = dec.encoding === 'utf8' ? bytesChecksum : undefined;
    // After a byte base, a text diff cannot succeed where the byte diff failed: parse the whole file.
    const parse = base?.bytes ? () => parseTaskList(dec.text, this.parseOptions) : undefined;
    return { kind: 'disk', text: dec.text, bytes, parse, encoding: dec.encoding, decodeDiagnostics: dec.diagnostics, bytesChecksum, textChecksum };
  }

  /**
   * The markdown as the last sync left it and its exact parse (line numbers of that text), to read during the next
   * sync only: its bytes live in a buffer the parse after next reuses. Undefined before the first parse.
   */
  previous(): { list: TaskList; text: () => string } | undefined {
    const p = this.parsed;
    if (!p) return undefined;
    let text = p.text;
    return { list: p.list, text: () => (text ??= utf8.decode(p.bytes!)) };
  }

  /** The parse of a sync's markdown; a plain UTF-8 file read from disk becomes the next base as bytes. */
  parse(src: Source): TaskList {
    const list = src.parse ? src.parse() : this.parseText(src.text);
    if (src.bytes && src.encoding === 'utf8') {
      let buf = this.spareBuf;
      if (buf.length < src.bytes.length) buf = new Uint8Array(Math.ceil(src.bytes.length * 1.25));
      buf.set(src.bytes);
      this.spareBuf = this.baseBuf;
      this.baseBuf = buf;
      this.parsed = { list, bytes: buf.subarray(0, src.bytes.length) };
    } else if (this.parsed?.list !== list) {
      this.parsed = { list, text: src.text };
    }
    return list;
  }

  /**
   * parseTaskList(text), patched from the last markdown parsed when the edit allows it (a ticked checkbox, a retitled
   * task: see src/core/incremental.ts), so that a one-line change to a huge file costs a line, not a file.
   */
  parseText(text: string): TaskList {
    const prev = this.parsed;
    const prevText = prev?.text ?? (prev?.bytes ? utf8.decode(prev.bytes) : undefined);
    const patched = prev && prevText !== undefined ? reparseIncremental(prevText, prev.list, text) : undefined;
    const list = patched ?? parseTaskList(text, this.parseOptions);
    this.parsed = { list, text };
    return list;
  }

  /**
   * A sync wrote `written` in place of `before`, whose parse is `list`: when `list` is still the base, the written
   * text becomes the base (status edits patch from it), so the next sync diffs against what the markdown now says.
   */
  wrote(list: TaskList, before: string, written: string): void {
    if (this.parsed?.list !== list) return;
    const next = reparseIncremental(before, list, written);
    if (next) this.parsed = { list: next, text: written };
  }
}
