/**
 * Signatures of the chain head: (seq, hash) signed with an Ed25519 key.
 *
 * A signature proves who vouched for the chain up to seq only when its key is pinned: verify
 * trusts the keys in the installation's trust store (trust.ts) or those an auditor names, never
 * the public key a checkpoint carries. The key lives in the installation's folder
 * (installation.ts), outside every database's folder, protected by a KeyProtection: a plain
 * owner-only file by default, the OS keychain (Electron's safeStorage) where the app offers one.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from './canonical';
import { ownerOnlyDir } from './installation';
import { UnavailableError } from '../native-models/errors';

export interface Checkpoint {
  seq: number;
  headHash: string;
  /** base64 Ed25519 signature over checkpointMessage(seq, headHash) */
  signature: string;
  /** base64 DER SubjectPublicKeyInfo of the signing key */
  publicKey: string;
}

/** Where releases before schema 6 kept the key: beside the database (see README, "migration"). */
export const LEGACY_KEY_FILE_NAME = 'candor-audit-ed25519.pem';

export function checkpointMessage(seq: number, headHash: string): Buffer {
  return Buffer.from(canonicalJson(['candor-checkpoint/1', seq, headHash]));
}

/** SHA-256 of the DER SubjectPublicKeyInfo, hex: how keys are named in messages and the trust store. */
export function keyFingerprint(publicKeyB64: string): string {
  return createHash('sha256').update(Buffer.from(publicKeyB64, 'base64')).digest('hex');
}

/** The first 16 hex digits, grouped, for one-line messages. */
export function shortFingerprint(fp: string): string {
  return fp.slice(0, 16).replace(/(.{4})(?=.)/g, '$1:');
}

export function publicKeyOf(key: KeyObject): string {
  return createPublicKey(key).export({ format: 'der', type: 'spki' }).toString('base64');
}

export function signHead(key: KeyObject, seq: number, headHash: string): Checkpoint {
  const signature = sign(null, checkpointMessage(seq, headHash), key).toString('base64');
  return { seq, headHash, signature, publicKey: publicKeyOf(key) };
}

/** Whether the signature is valid for the key the checkpoint names (which says nothing about trust). */
export function verifyCheckpointSignature(cp: Checkpoint): boolean {
  try {
    if (!Number.isInteger(cp.seq) || typeof cp.headHash !== 'string' || typeof cp.signature !== 'string') return false;
    const pub = createPublicKey({ key: Buffer.from(cp.publicKey, 'base64'), format: 'der', type: 'spki' });
    if (pub.asymmetricKeyType !== 'ed25519') return false;
    return verify(null, checkpointMessage(cp.seq, cp.headHash), pub, Buffer.from(cp.signature, 'base64'));
  } catch {
    return false;
  }
}

/**
 * How the private key is kept at rest. The Electron main process supplies one backed by
 * safeStorage (the OS keychain); the default is a plain owner-only file. `kind` names the file
 * (signing-key.<kind>.json), so the app's protected key and the CLI's plain one live side by side.
 */
export interface KeyProtection {
  readonly kind: string;
  protect(plain: Buffer): Buffer;
  unprotect(stored: Buffer): Buffer;
}

export const PLAIN_FILE: KeyProtection = { kind: 'plain', protect: (b) => b, unprotect: (b) => b };

interface KeyFile {
  format: 'candor-signing-key/1';
  protection: string;
  publicKey: string;
  /** base64 of protect(PKCS#8 DER) */
  privateKey: string;
  created: string;
}

/** The signing key cannot be read, unlocked or written. */
export class KeyError extends UnavailableError {}

export interface InstallationKey {
  key: KeyObject;
  publicKey: string;
  fingerprint: string;
  file: string;
  /** True when this call made the key (the caller pins it). */
  created: boolean;
}

export function keyFileFor(keysDir: string, protection: KeyProtection): string {
  if (!/^[a-z0-9][a-z0-9-]{0,40}$/.test(protection.kind)) throw new KeyError(`the key protection kind '${protection.kind}' is not a plain lower-case name`);
  return join(keysDir, `signing-key.${protection.kind}.json`);
}

function readKeyFile(file: string, protection: KeyProtection): InstallationKey {
  let parsed: KeyFile;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as KeyFile;
  } catch (err) {
    throw new KeyError(`the audit signing key ${file} cannot be read: ${(err as Error).message}`);
  }
  if (parsed.format !== 'candor-signing-key/1' || typeof parsed.privateKey !== 'string') throw new KeyError(`the audit signing key ${file} is not a Candor key file`);
  if (parsed.protection !== protection.kind) throw new KeyError(`the audit signing key ${file} is protected by '${parsed.protection}', not '${protection.kind}'`);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: protection.unprotect(Buffer.from(parsed.privateKey, 'base64')), format: 'der', type: 'pkcs8' });
  } catch (err) {
    if (err instanceof KeyError) throw err;
    throw new KeyError(`the audit signing key ${file} cannot be unlocked (${protection.kind}): ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new KeyError(`the audit signing key ${file} holds a ${key.asymmetricKeyType} key, not Ed25519`);
  const publicKey = publicKeyOf(key);
  if (publicKey !== parsed.publicKey) throw new KeyError(`the audit signing key ${file} does not match the public key written beside it (the file was altered)`);
  return { key, publicKey, fingerprint: keyFingerprint(publicKey), file, created: false };
}

/** The installation's signing key for this protection, made (owner-only) on first use. */
export function loadOrCreateInstallationKey(keysDir: string, protection: KeyProtection = PLAIN_FILE): InstallationKey {
  const file = keyFileFor(keysDir, protection);
  if (existsSync(file)) return readKeyFile(file, protection);
  ownerOnlyDir(keysDir);
  const { privateKey } = generateKeyPairSync('ed25519');
  const publicKey = publicKeyOf(privateKey);
  const body: KeyFile = {
    format: 'candor-signing-key/1',
    protection: protection.kind,
    publicKey,
    privateKey: protection.protect(privateKey.export({ format: 'der', type: 'pkcs8' })).toString('base64'),
    created: new Date().toISOString(),
  };
  try {
    writeFileSync(file, `${JSON.stringify(body, null, 1)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process made it first: use that one.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readKeyFile(file, protection);
    throw new KeyError(`the audit signing key ${file} cannot be written: ${(err as Error).message}`);
  }
  return { key: privateKey, publicKey, fingerprint: keyFingerprint(publicKey), file, created: true };
}
