#!/usr/bin/env node
// The package's `candor` command: runs the TypeScript CLI through tsx's loader.
import { register } from 'tsx/esm/api';
register();
process.env.CANDOR_CLI_MAIN = '1';
await import('../electron/cli/main.ts');
