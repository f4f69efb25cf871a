// Reads the task-list file into one buffer kept between syncs. The watcher syncs on every save; readFileSync would
// allocate a fresh buffer the size of the file each time (outside the JS heap, freed only when a GC finds the old
// one), and a 1 MB plan saved 20 times in a burst then holds 20 MB for nothing.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const MIN_CAPACITY = 64 * 1024;

/** Reads whole files into a reused buffer; each result is valid until the next read. Not for concurrent use. */
export class ReusableFileReader {
  private buf = new Uint8Array(0);

  /** The file's bytes, read to end of file (a file growing during the read is read whole). Throws the fs error. */
  read(path: string): Uint8Array {
    const fd = openSync(path, 'r');
    try {
      // Room for the whole file and the read that sees its end, in one allocation in the common case.
      const size = fstatSync(fd).size;
      if (this.buf.length < size + 1) this.grow(size + 1);
      let n = 0;
      for (;;) {
        if (n === this.buf.length) this.grow(n + 1);
        const got = readSync(fd, this.buf, n, this.buf.length - n, null);
        if (got === 0) break;
        n += got;
      }
      // A buffer far larger than the file (a 50 MB plan, since cut down) is given back.
      if (this.buf.length > 4 * Math.max(n, MIN_CAPACITY)) {
        const small = new Uint8Array(Math.max(MIN_CAPACITY, n * 2));
        small.set(this.buf.subarray(0, n));
        this.buf = small;
      }
      return this.buf.subarray(0, n);
    } finally {
      closeSync(fd);
    }
  }

  private grow(min: number): void {
    const next = new Uint8Array(Math.max(MIN_CAPACITY, min, Math.ceil(this.buf.length * 1.5)));
    next.set(this.buf);
    this.buf = next;
  }
}
