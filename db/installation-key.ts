/**
 * The installation's signing key, ready to sign: loaded (or made on first use) from the
 * installation's keys folder and, when made, pinned in its trust store, so that this
 * installation's own verify trusts what it signed. An auditor elsewhere pins it by the exported
 * public key (candor audit key --export), never by what a checkpoint carries.
 */
import type { InstallationPaths } from './installation';
import { loadOrCreateInstallationKey, PLAIN_FILE, type InstallationKey, type KeyProtection } from './signing';
import { pinKey } from './trust';

export function installationKey(paths: InstallationPaths, protection: KeyProtection = PLAIN_FILE): InstallationKey {
  const key = loadOrCreateInstallationKey(paths.keysDir, protection);
  // Pinned only when made here: a key file swapped later is not trusted on its own say-so.
  if (key.created) pinKey(paths.trustFile, key.publicKey, `this installation, ${protection.kind} key, made ${new Date().toISOString().slice(0, 10)}`);
  return key;
}
