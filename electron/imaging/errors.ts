/** Every failure to read a scan surfaces as this error, naming the file and what is wrong with it. */
export class ImagingError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'ImagingError';
  }
}

/** Text of anything thrown by third-party code (dicom-parser throws plain strings and objects). */
export function describeThrown(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  if (err && typeof err === 'object' && 'exception' in err) return describeThrown((err as { exception: unknown }).exception);
  return String(err);
}
