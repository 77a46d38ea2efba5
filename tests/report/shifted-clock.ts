/** Preloaded into a child process: its clock reads 1000 days and 7 hours later than the machine's. */
const SHIFT_MS = (1000 * 24 + 7) * 3600 * 1000;
const RealDate = Date;
class ShiftedDate extends RealDate {
  constructor(...args: unknown[]) {
    if (args.length === 0) super(RealDate.now() + SHIFT_MS);
    else super(...(args as [string | number | Date]));
  }
  static override now(): number {
    return RealDate.now() + SHIFT_MS;
  }
}
globalThis.Date = ShiftedDate as DateConstructor;
