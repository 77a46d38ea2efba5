/**
 * The installation's folder as the CLI sees it: --config-dir (else CANDOR_CONFIG_DIR, else the
 * user's config folder) and --anchors-dir; the outputs every command must not overwrite.
 */
import { resolve } from 'node:path';
import { defaultConfigDir, installationPaths, type InstallationPaths } from '../../db/installation';
import { protectedPaths, type ProtectedPaths } from '../../db/file-guard';

export interface CliInstallation {
  paths: InstallationPaths;
  anchorsDir: string;
}

export const INSTALLATION_HELP = `--config-dir DIR   the installation's folder: signing key (keys/), trust store (trusted-keys.json), anchors/
                   (default: $CANDOR_CONFIG_DIR, else ${defaultConfigDir({}, process.platform).replace(/^\/root|^\/home\/[^/]+/, '~')})
--anchors-dir DIR  where checkpoint files (anchors) are written and looked for (default: <config-dir>/anchors)`;

export function cliInstallation(values: Record<string, string | undefined>): CliInstallation {
  const paths = installationPaths(values['config-dir'] ?? defaultConfigDir());
  return { paths, anchorsDir: resolve(values['anchors-dir'] ?? paths.anchorsDir) };
}

/** The database(s) named and the installation's keys, trust store and anchors. */
export function cliGuard(inst: CliInstallation, databases: string[]): ProtectedPaths {
  return protectedPaths({ databases, installation: { ...inst.paths, anchorsDir: inst.anchorsDir } });
}
