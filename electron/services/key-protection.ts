/**
 * The signing key encrypted by the OS keychain through Electron's safeStorage (DPAPI on Windows,
 * Keychain on macOS, libsecret/kwallet on Linux). main.ts passes Electron's safeStorage in; this
 * module does not import Electron, so it is tested with any object of the same shape.
 */
import { existsSync } from 'node:fs';
import { KeyError, keyFileFor, PLAIN_FILE, type KeyProtection } from '../../db/signing';

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

/**
 * The protection the app uses: safeStorage where it protects something; else the plain file, unless
 * a key was already made under safeStorage here (a keyring locked or missing today must not make a
 * new plain key that would sign beside the old one): then signing is refused, saying why.
 */
export function keyProtectionFor(ss: SafeStorageLike, keysDir: string): KeyProtection {
  const protection = safeStorageProtection(ss);
  if (protection) return protection;
  const file = keyFileFor(keysDir, { kind: SAFE_STORAGE_KIND, protect: (b) => b, unprotect: (b) => b });
  if (!existsSync(file)) return PLAIN_FILE;
  const why = ss.isEncryptionAvailable() ? `its backend is '${ss.getSelectedStorageBackend?.() ?? 'unknown'}', which stores no secret` : 'it is not available now';
  const refuse = (): never => {
    throw new KeyError(`the audit signing key ${file} is encrypted by the OS keychain, and ${why} (unlock the keyring and start Candor again)`);
  };
  return { kind: SAFE_STORAGE_KIND, protect: refuse, unprotect: refuse };
}
