#!/usr/bin/env node
// Builds the Electron main and preload bundles (esbuild, CommonJS as Electron loads them)
// the CLI (build/cli-bundle.mjs) and the renderer (Vite). Native modules stay external: electron-builder unpacks them.
import { build } from 'esbuild';
import { build as viteBuild } from 'vite';
import { fileURLToPath } from 'node:url';
import { buildCli, NATIVE_EXTERNALS } from './cli-bundle.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const external = NATIVE_EXTERNALS;

await build({
  absWorkingDir: root,
  entryPoints: { main: 'electron/main.ts', preload: 'electron/preload.ts', 'decode-worker': 'electron/imaging/decode-worker.ts' },
  outdir: 'dist/electron',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external,
  sourcemap: false,
  logLevel: 'warning',
  // import.meta.url is used to find package.json; in the CJS bundle it maps to the file URL.
  define: { 'import.meta.url': 'import_meta_url' },
  banner: { js: "const import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
});

await buildCli();

await viteBuild({ configFile: fileURLToPath(new URL('../renderer/vite.config.ts', import.meta.url)) });
console.log('built dist/electron, dist/cli and dist/renderer');
