/**
 * Signed checkpoints: the chain head (seq, hash) signed with a local Ed25519 key.
 *
 * A checkpoint copied out of the database (printed, mailed, kept by QA) makes a wholesale
 * rewrite of the chain detectable even by someone who recomputed every hash in the file.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from './canonical';

export interface Checkpoint {
  seq: number;
  headHash: string;
  /** base64 Ed25519 signature over checkpointMessage(seq, headHash) */
  signature: string;
  /** base64 DER SubjectPublicKeyInfo of the signing key */
  publicKey: string;
}

export const KEY_FILE_NAME = 'candor-audit-ed25519.pem';

export function checkpointMessage(seq: number, headHash: string): Buffer {
  return Buffer.from(canonicalJson(['candor-checkpoint/1', seq, headHash]));
}

/** Loads the signing key from keyDir, creating it (owner-only) on first use. */
export function loadOrCreateSigningKey(keyDir: string): KeyObject {
  const file = join(keyDir, KEY_FILE_NAME);
  if (existsSync(file)) {
    try {
      const key = createPrivateKey(readFileSync(file));
      if (key.asymmetricKeyType !== 'ed25519') throw new Error(`it holds a ${key.asymmetricKeyType} key, not Ed25519`);
      return key;
    } catch (err) {
      throw new Error(`the audit signing key ${file} cannot be used: ${(err as Error).message}`);
    }
  }
  mkdirSync(keyDir, { recursive: true });
  const { privateKey } = generateKeyPairSync('ed25519');
  writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
  return privateKey;
}

export function signHead(key: KeyObject, seq: number, headHash: string): Checkpoint {
  const signature = sign(null, checkpointMessage(seq, headHash), key).toString('base64');
  const publicKey = createPublicKey(key).export({ format: 'der', type: 'spki' }).toString('base64');
  return { seq, headHash, signature, publicKey };
}

export function verifyCheckpointSignature(cp: Checkpoint): boolean {
  try {
    if (!Number.isInteger(cp.seq) || typeof cp.headHash !== 'string') return false;
    const pub = createPublicKey({ key: Buffer.from(cp.publicKey, 'base64'), format: 'der', type: 'spki' });
    return verify(null, checkpointMessage(cp.seq, cp.headHash), pub, Buffer.from(cp.signature, 'base64'));
  } catch {
    return false;
  }
}
