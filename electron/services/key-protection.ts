/**
 * The signing key encrypted by the OS keychain through Electron's safeStorage (DPAPI on Windows,
 * Keychain on macOS, libsecret/kwallet on Linux). main.ts passes Electron's safeStorage in; this
 * module does not import Electron, so it is tested with any object of the same shape.
 */
import type { KeyProtection } from '../../db/signing';

/** The part of Electron's safeStorage the key protection uses. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only: which secret store backs it ('basic_text' is a hard-coded password). */
  getSelectedStorageBackend?(): string;
}

export const SAFE_STORAGE_KIND = 'electron-safe-storage';

/**
 * A KeyProtection backed by safeStorage, or null where it protects nothing more than the plain
 * owner-only file (no encryption available, or Linux's 'basic_text' fallback without a keyring).
 */
export function safeStorageProtection(ss: SafeStorageLike): KeyProtection | null {
  if (!ss.isEncryptionAvailable()) return null;
  if (ss.getSelectedStorageBackend?.() === 'basic_text') return null;
  return {
    kind: SAFE_STORAGE_KIND,
    protect: (plain) => ss.encryptString(plain.toString('base64')),
    unprotect: (stored) => Buffer.from(ss.decryptString(stored), 'base64'),
  };
}
