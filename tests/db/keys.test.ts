/**
 * The installation's key and trust store: where they live (never beside a database), owner-only
 * modes, the key protection hook the Electron main process fills with safeStorage, a key file
 * that was altered, and pinning.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConfigDir, installationPaths } from '../../db/installation';
import { installationKey } from '../../db/installation-key';
import { KeyError, keyFileFor, loadOrCreateInstallationKey, PLAIN_FILE, signHead, verifyCheckpointSignature } from '../../db/signing';
import { TrustStore } from '../../db/trust';
import { keyProtectionFor, safeStorageProtection, SAFE_STORAGE_KIND, type SafeStorageLike } from '../../electron/services/key-protection';
import { inTempDir } from './helpers';

test('the config folder: CANDOR_CONFIG_DIR, else XDG_CONFIG_HOME or ~/.config on Linux, the platform folders elsewhere', () => {
  assert.equal(defaultConfigDir({ CANDOR_CONFIG_DIR: '/srv/candor-cfg' }, 'linux', '/home/u'), '/srv/candor-cfg');
  assert.equal(defaultConfigDir({ XDG_CONFIG_HOME: '/x/cfg' }, 'linux', '/home/u'), '/x/cfg/candor');
  assert.equal(defaultConfigDir({}, 'linux', '/home/u'), '/home/u/.config/candor');
  assert.equal(defaultConfigDir({}, 'darwin', '/Users/u'), '/Users/u/Library/Application Support/Candor');
  assert.equal(defaultConfigDir({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u').replace(/\\/g, '/'), 'C:/Users/u/AppData/Roaming/Candor');
  const p = installationPaths('/c');
  assert.deepEqual(p, { configDir: '/c', keysDir: '/c/keys', trustFile: '/c/trusted-keys.json', anchorsDir: '/c/anchors', reportsDir: '/c/reports' });
});

test('the key is made once, owner-only (0600 in a 0700 folder), pinned when made, and the same key is loaded again', () => {
  inTempDir((dir) => {
    const paths = installationPaths(join(dir, 'cfg'));
    const first = installationKey(paths);
    assert.equal(first.created, true);
    assert.equal(statSync(first.file).mode & 0o777, 0o600);
    assert.equal(statSync(paths.keysDir).mode & 0o777, 0o700);
    assert.equal(statSync(paths.trustFile).mode & 0o777, 0o600);
    const again = installationKey(paths);
    assert.equal(again.created, false);
    assert.equal(again.fingerprint, first.fingerprint);
    const store = TrustStore.load(paths.trustFile);
    assert.deepEqual(store.keys.map((k) => k.fingerprint), [first.fingerprint]);
    assert.match(store.keys[0]!.label, /this installation, plain key/);
    const cp = signHead(again.key, 3, 'a'.repeat(64));
    assert.equal(verifyCheckpointSignature(cp), true);
    assert.equal(verifyCheckpointSignature({ ...cp, seq: 4 }), false);
  });
});

test('a key file swapped for another key is refused, and a swapped key is never pinned on its own say-so', () => {
  inTempDir((dir) => {
    const paths = installationPaths(join(dir, 'cfg'));
    const own = installationKey(paths);
    const body = JSON.parse(readFileSync(own.file, 'utf8')) as { privateKey: string; publicKey: string };
    const other = installationKey(installationPaths(join(dir, 'other')));
    const otherBody = JSON.parse(readFileSync(other.file, 'utf8')) as { privateKey: string };
    writeFileSync(own.file, JSON.stringify({ ...body, privateKey: otherBody.privateKey }));
    assert.throws(() => installationKey(paths), (e: unknown) => e instanceof KeyError && /does not match the public key written beside it/.test((e as Error).message));
    // Swapped whole (its own public key beside it): it loads, but the trust store still knows only the first.
    writeFileSync(own.file, readFileSync(other.file));
    const swapped = installationKey(paths);
    assert.equal(swapped.fingerprint, other.fingerprint);
    assert.equal(TrustStore.load(paths.trustFile).lookup(swapped.publicKey), null);
  });
});

/** safeStorage's shape with a real cipher (AES-256-GCM, a per-test secret) standing in for the OS keychain. */
function keychain(available = true, backend = 'gnome_libsecret'): SafeStorageLike & { secret: Buffer } {
  const secret = randomBytes(32);
  return {
    secret,
    isEncryptionAvailable: () => available,
    getSelectedStorageBackend: () => backend,
    encryptString(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', secret, iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]);
    },
    decryptString(enc) {
      const d = createDecipheriv('aes-256-gcm', secret, enc.subarray(0, 12));
      d.setAuthTag(enc.subarray(12, 28));
      return Buffer.concat([d.update(enc.subarray(28)), d.final()]).toString('utf8');
    },
  };
}

test('the key protection hook: with safeStorage the key file holds only ciphertext; another keychain cannot unlock it', () => {
  inTempDir((dir) => {
    const paths = installationPaths(join(dir, 'cfg'));
    assert.equal(safeStorageProtection(keychain(false)), null, 'no encryption: the plain file');
    assert.equal(safeStorageProtection(keychain(true, 'basic_text')), null, "Linux without a keyring: 'basic_text' protects nothing");
    const ss = keychain();
    const protection = safeStorageProtection(ss)!;
    assert.equal(protection.kind, SAFE_STORAGE_KIND);
    const key = installationKey(paths, protection);
    assert.equal(key.file, keyFileFor(paths.keysDir, protection));
    const stored = JSON.parse(readFileSync(key.file, 'utf8')) as { protection: string; privateKey: string };
    assert.equal(stored.protection, SAFE_STORAGE_KIND);
    const pkcs8 = key.key.export({ format: 'der', type: 'pkcs8' });
    assert.ok(!Buffer.from(stored.privateKey, 'base64').includes(pkcs8.subarray(-32)), 'the raw private key is not in the file');
    assert.equal(installationKey(paths, protection).fingerprint, key.fingerprint, 'unlocked again with the same keychain');
    assert.throws(() => loadOrCreateInstallationKey(paths.keysDir, safeStorageProtection(keychain())!), /cannot be unlocked \(electron-safe-storage\)/);
    // The CLI (plain file) and the app (safeStorage) each have their own key; both are pinned.
    const cli = installationKey(paths, PLAIN_FILE);
    assert.notEqual(cli.fingerprint, key.fingerprint);
    assert.equal(TrustStore.load(paths.trustFile).keys.length, 2);
  });
});

test('a keychain that is gone later: no new plain key is made beside the protected one; signing is refused, saying why', () => {
  inTempDir((dir) => {
    const paths = installationPaths(join(dir, 'cfg'));
    assert.equal(keyProtectionFor(keychain(false), paths.keysDir), PLAIN_FILE, 'never had a keychain: the plain file');
    const ss = keychain();
    const made = installationKey(paths, keyProtectionFor(ss, paths.keysDir));
    assert.equal(installationKey(paths, keyProtectionFor(ss, paths.keysDir)).fingerprint, made.fingerprint);
    for (const gone of [keychain(false), keychain(true, 'basic_text')]) {
      assert.throws(() => installationKey(paths, keyProtectionFor(gone, paths.keysDir)), (e: unknown) => e instanceof KeyError && /is encrypted by the OS keychain, and (it is not available now|its backend is 'basic_text')/.test((e as Error).message));
    }
    assert.deepEqual(TrustStore.load(paths.trustFile).keys.map((k) => k.fingerprint), [made.fingerprint], 'no second key was made or pinned');
  });
});
