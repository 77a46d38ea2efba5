/**
 * A tower's private weights file (the one onnxruntime maps: clip/tower.ts), kept open after its
 * folder is deleted so graphs derived later read their weights from it: the bytes the bundle
 * hashed when it loaded, with no second read and hash of the user's model file. The pages are the
 * mapping's own, so a read copies from memory and holds nothing more while the session lives.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export class WeightsFile {
  private fd: number | null;

  /** Opens `path`; `label` names the model in errors. */
  constructor(
    path: string,
    private readonly label: string,
  ) {
    this.fd = openSync(path, 'r');
  }

  /** `length` bytes from `offset`, in a buffer of their own. */
  read(offset: number, length: number, what: string): Uint8Array {
    // A closed descriptor's number may already name another file: never read through it.
    if (this.fd === null) throw new Error(`${this.label}: the weights of "${what}" were read after the model was released`);
    const buf = Buffer.allocUnsafeSlow(length);
    for (let done = 0; done < length; ) {
      const n = readSync(this.fd, buf, done, Math.min(length - done, 1 << 30), offset + done);
      if (n <= 0) throw new Error(`${this.label}: the weights file ends before "${what}" (${length} bytes at ${offset})`);
      done += n;
    }
    return buf;
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}
