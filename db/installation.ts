/**
 * The installation's own folder, outside any database's folder: the signing key, the trust
 * store of pinned public keys, the anchors (checkpoint files) and the default reports folder.
 * Copying or replacing a database never carries the key or the anchors with it.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface InstallationPaths {
  configDir: string;
  /** Signing keys (owner-only), one per key protection kind. */
  keysDir: string;
  /** The pinned public keys verify trusts by default. */
  trustFile: string;
  /** Checkpoint files written every N findings and at the app's exit. */
  anchorsDir: string;
  /** Where report:pdf writes when no save dialog is offered. */
  reportsDir: string;
}

/**
 * CANDOR_CONFIG_DIR, else the platform's per-user config folder: $XDG_CONFIG_HOME/candor or
 * ~/.config/candor on Linux, ~/Library/Application Support/Candor on macOS, %APPDATA%\Candor on Windows.
 */
export function defaultConfigDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  if (env.CANDOR_CONFIG_DIR) return resolve(env.CANDOR_CONFIG_DIR);
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Candor');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Candor');
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'candor');
}

export function installationPaths(configDir: string = defaultConfigDir()): InstallationPaths {
  const dir = resolve(configDir);
  return {
    configDir: dir,
    keysDir: join(dir, 'keys'),
    trustFile: join(dir, 'trusted-keys.json'),
    anchorsDir: join(dir, 'anchors'),
    reportsDir: join(dir, 'reports'),
  };
}

/** Creates a folder only its owner may enter (0700), tightening one that exists with looser modes (POSIX). */
export function ownerOnlyDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32' && (statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
}
