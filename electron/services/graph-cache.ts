/**
 * Where derived graphs are kept between runs: CANDOR_CACHE_DIR, else `graph-cache` in the folder
 * the caller names (the app: its userData folder; the CLI and the test host: the installation's
 * config folder). CANDOR_CACHE_DIR=off keeps none; CANDOR_CACHE_MAX_MB caps its size (default 2048).
 */
import { join, resolve } from 'node:path';
import { GraphCache } from '../../native-models/runtime/graph-cache';
import { appVersion } from '../version';

export function graphCacheIn(folder: string, env: NodeJS.ProcessEnv = process.env, version: string = appVersion()): GraphCache | null {
  const dir = env.CANDOR_CACHE_DIR;
  if (dir === 'off') return null;
  const mb = Number(env.CANDOR_CACHE_MAX_MB);
  return new GraphCache(dir ? resolve(dir) : join(folder, 'graph-cache'), { candorVersion: version, ...(mb > 0 ? { maxBytes: mb * 1024 * 1024 } : {}) });
}
