// The CLI as built JavaScript (esbuild, ESM with code splitting, so `candor --help` loads only the
// entry and each command loads its own chunks). bin/candor.mjs runs it; npm run build, postinstall
// and bin/candor.mjs (when it is missing or older than a source it was built from) call buildCli().
import { build } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const CLI_DIR = join(root, 'dist', 'cli');
export const CLI_ENTRY = join(CLI_DIR, 'cli.mjs');
/** The sources the bundle was built from (repository-relative), for the staleness check. */
export const CLI_INPUTS = join(CLI_DIR, 'inputs.json');
export { cliIsStale } from './cli-stale.mjs';
export const NATIVE_EXTERNALS = ['electron', 'onnxruntime-node', 'better-sqlite3', 'pdfkit', '@cornerstonejs/*'];

export async function buildCli() {
  rmSync(CLI_DIR, { recursive: true, force: true });
  mkdirSync(CLI_DIR, { recursive: true });
  const common = { absWorkingDir: root, bundle: true, platform: 'node', target: 'node20', external: NATIVE_EXTERNALS, logLevel: 'warning', metafile: true };
  const cli = await build({
    ...common,
    entryPoints: { cli: 'electron/cli/main.ts' },
    outdir: CLI_DIR,
    outExtension: { '.js': '.mjs' },
    format: 'esm',
    splitting: true,
    // CommonJS packages inside the bundle call require() for Node's built-ins.
    banner: { js: "import { createRequire as __candorRequire } from 'node:module'; const require = __candorRequire(import.meta.url);" },
  });
  // The DICOM decoder pool looks for its worker next to the code that starts it.
  const worker = await build({ ...common, entryPoints: { 'decode-worker': 'electron/imaging/decode-worker.ts' }, outdir: CLI_DIR, outExtension: { '.js': '.cjs' }, format: 'cjs' });
  const inputs = [...new Set([...Object.keys(cli.metafile.inputs), ...Object.keys(worker.metafile.inputs)])].filter((f) => !f.includes('node_modules/')).sort();
  writeFileSync(CLI_INPUTS, JSON.stringify({ builtAt: Date.now(), inputs }) + '\n');
  return CLI_ENTRY;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildCli();
  console.log('built dist/cli');
}
