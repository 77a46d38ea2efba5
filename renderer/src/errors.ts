/**
 * Failures as the renderer acts on them: each carries the taxonomy's code (native-models/errors,
 * through the contract's ApiError) so the UI can tell a cancel (quiet) from a missing model (said
 * in the toolbar) from everything else (its message shown).
 */
import type { ApiError } from '../../electron/api/contract';

export type UiErrorCode = ApiError['code'];

export class UiError extends Error {
  constructor(readonly code: UiErrorCode, message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export function errorCode(err: unknown): UiErrorCode {
  if (err instanceof UiError) return err.code;
  // The platform's own abort (AbortController, fetch) is a cancel too.
  if (err instanceof Error && err.name === 'AbortError') return 'cancelled';
  return 'internal';
}

/** What went wrong, in one line, from anything thrown. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  if (err && typeof err === 'object' && 'message' in err && typeof (err as { message: unknown }).message === 'string') return (err as { message: string }).message;
  return String(err);
}

/** A sentence ends with a full stop: messages from several sources are joined into prose. */
export function sentence(message: string): string {
  const m = message.trim();
  return /[.!?。！？]$/.test(m) ? m : `${m}.`;
}
