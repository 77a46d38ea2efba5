/**
 * The one error taxonomy of Candor. Every room throws one of these classes (or a subclass
 * that names its room, e.g. ImagingError extends UserInputError), and the API boundary turns
 * an error into its code by `instanceof`, never by reading a name string. Anything that is
 * not a CandorError is a bug: it becomes `internal` and is logged with its stack.
 *
 * This module is the lowest floor of the house: every room may import it (db/ included,
 * whose other imports from native-models/ are types only), and it imports nothing.
 */

export const ERROR_CODES = ['bad-input', 'not-found', 'unavailable', 'cancelled', 'model-output', 'integrity', 'internal'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export abstract class CandorError extends Error {
  abstract readonly code: ErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // Subclass names show in stacks and logs; classification never reads them.
    this.name = new.target.name;
  }
}

/** The user's input (a file, a text, a setting) cannot be used; the message says why, naming the file. */
export class UserInputError extends CandorError {
  readonly code = 'bad-input' as const;
}

/** Something asked for by id or path does not exist (any more). */
export class NotFoundError extends CandorError {
  readonly code = 'not-found' as const;
}

/** A resource the request needs is not there: no model configured, no database, a folder not writable. */
export class UnavailableError extends CandorError {
  readonly code = 'unavailable' as const;
}

/** The user (or a newer request) stopped the work. Quiet in the UI. */
export class CancelledError extends CandorError {
  readonly code = 'cancelled' as const;
  constructor(message = 'cancelled', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The model ran but its output cannot be used (NaN, wrong shape): its weights or this input are broken. */
export class ModelOutputError extends CandorError {
  readonly code = 'model-output' as const;
}

/** Stored evidence does not hold together: a broken hash chain, a bad signature, a damaged file. */
export class IntegrityError extends CandorError {
  readonly code = 'integrity' as const;
}

/** A known internal failure worth its own message (an unknown one is any other Error). */
export class InternalError extends CandorError {
  readonly code = 'internal' as const;
}

/** What went wrong, in one line, from anything thrown (third-party code throws strings and plain objects too). */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  if (err && typeof err === 'object') {
    if ('exception' in err) return errorMessage((err as { exception: unknown }).exception);
    if ('message' in err && typeof (err as { message: unknown }).message === 'string') return (err as { message: string }).message;
  }
  return String(err);
}

/** The taxonomy code of anything thrown: a CandorError's own, an AbortError's `cancelled`, else `internal`. */
export function errorCode(err: unknown): ErrorCode {
  if (err instanceof CandorError) return err.code;
  // The platform's own abort (AbortSignal.throwIfAborted, fetch) is a DOMException, not ours.
  if (err instanceof Error && err.name === 'AbortError' && typeof DOMException !== 'undefined' && err instanceof DOMException) return 'cancelled';
  return 'internal';
}

export function isCancelled(err: unknown): boolean {
  return errorCode(err) === 'cancelled';
}
