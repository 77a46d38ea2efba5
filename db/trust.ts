/**
 * The keys verify trusts. A checkpoint carries its signer's public key, so a signature alone
 * proves nothing (anyone can make a key and re-sign a rewritten chain); it counts only when
 * that key is pinned: in the installation's trust store (trusted-keys.json, in the config
 * folder), or in PEM files an auditor names (`verify --trust FILE`), which replace the store.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserInputError } from '../native-models/errors';
import { ownerOnlyDir } from './installation';
import { keyFingerprint } from './signing';

export interface PinnedKey {
  /** SHA-256 of the DER SubjectPublicKeyInfo, hex. */
  fingerprint: string;
  /** base64 DER SubjectPublicKeyInfo. */
  publicKey: string;
  label: string;
  added: string;
}

interface TrustFile {
  format: 'candor-trust/1';
  keys: PinnedKey[];
}

/** A trust store or a --trust file that cannot be read. */
export class TrustError extends UserInputError {}

export class TrustStore {
  private readonly byKey: Map<string, PinnedKey>;

  private constructor(
    readonly keys: readonly PinnedKey[],
    /** Where the keys came from, for messages: the store's file or the --trust files. */
    readonly source: string,
  ) {
    this.byKey = new Map(keys.map((k) => [k.publicKey, k]));
  }

  static of(keys: readonly PinnedKey[], source: string): TrustStore {
    return new TrustStore(keys, source);
  }

  /** The installation's store; a missing file is an empty store. */
  static load(file: string): TrustStore {
    if (!existsSync(file)) return new TrustStore([], file);
    let parsed: TrustFile;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8')) as TrustFile;
    } catch (err) {
      throw new TrustError(`the trust store ${file} cannot be read: ${(err as Error).message}`);
    }
    if (parsed.format !== 'candor-trust/1' || !Array.isArray(parsed.keys)) throw new TrustError(`the trust store ${file} is not a Candor trust store`);
    for (const k of parsed.keys) {
      if (typeof k.publicKey !== 'string' || keyFingerprint(k.publicKey) !== k.fingerprint) throw new TrustError(`the trust store ${file}: the entry '${String(k.label)}' does not match its fingerprint`);
    }
    return new TrustStore(parsed.keys, file);
  }

  /** The keys in PEM files (public keys, or private keys whose public half is taken), replacing the store. */
  static fromPemFiles(files: readonly string[]): TrustStore {
    const keys: PinnedKey[] = [];
    for (const file of files) {
      for (const publicKey of publicKeysInFile(file)) {
        keys.push({ fingerprint: keyFingerprint(publicKey), publicKey, label: basename(file), added: 'given on the command line' });
      }
    }
    return new TrustStore(keys, files.join(', '));
  }

  lookup(publicKeyB64: string): PinnedKey | null {
    return this.byKey.get(publicKeyB64) ?? null;
  }
}

const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/g;

/** Every Ed25519 public key in a PEM text; a private key block contributes its public half. */
export function publicKeysFromPem(text: string, source: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    const pem = m[0];
    try {
      const pub = m[1] === 'PUBLIC KEY' ? createPublicKey(pem) : m[1] === 'PRIVATE KEY' ? createPublicKey(createPrivateKey(pem)) : null;
      if (!pub) continue;
      if (pub.asymmetricKeyType !== 'ed25519') throw new Error(`it holds a ${pub.asymmetricKeyType} key, not Ed25519`);
      out.push(pub.export({ format: 'der', type: 'spki' }).toString('base64'));
    } catch (err) {
      throw new TrustError(`${source}: a key block cannot be used: ${(err as Error).message}`);
    }
  }
  if (out.length === 0) throw new TrustError(`${source}: no Ed25519 key found (expected a PEM "PUBLIC KEY" block, e.g. from candor audit key --export)`);
  return out;
}

/** The Ed25519 public keys in a PEM file (see publicKeysFromPem). */
export function publicKeysInFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TrustError(`the key file ${file} cannot be read: ${(err as Error).message}`);
  }
  return publicKeysFromPem(text, file);
}

export function publicKeyPem(publicKeyB64: string): string {
  return createPublicKey({ key: Buffer.from(publicKeyB64, 'base64'), format: 'der', type: 'spki' }).export({ format: 'pem', type: 'spki' }).toString();
}

/** The store's keys as one PEM file, each block preceded by a comment line naming it. */
export function trustStorePem(store: TrustStore): string {
  return store.keys.map((k) => `# Candor audit key ${k.fingerprint} (${k.label})\n${publicKeyPem(k.publicKey)}`).join('');
}

/** Adds a key to the installation's store (atomically, owner-only); a key already there is kept as it is. */
export function pinKey(file: string, publicKeyB64: string, label: string): { key: PinnedKey; added: boolean } {
  const store = TrustStore.load(file);
  const known = store.lookup(publicKeyB64);
  if (known) return { key: known, added: false };
  const key: PinnedKey = { fingerprint: keyFingerprint(publicKeyB64), publicKey: publicKeyB64, label, added: new Date().toISOString() };
  const body: TrustFile = { format: 'candor-trust/1', keys: [...store.keys, key] };
  ownerOnlyDir(dirname(file));
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(body, null, 1)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
  return { key, added: true };
}
