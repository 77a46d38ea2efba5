/** `candor serve`: the workspace in any browser, through the local test host (dev/test harness). */
import { join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { mkdirSync } from 'node:fs';
import { createDispatch } from '../../ipc/handlers';
import { startHost } from '../../host/server';
import { createServices } from '../../services/index';
import { resolveResources } from '../../paths';
import { appVersion, repoRoot } from '../../version';
import { parseArgs, type CliIo } from '../io';

const HELP = `usage: candor serve [--port N] [--model DIR] [--db FILE]

Serves the Candor workspace on http://127.0.0.1 with a random per-run token in the URL.
This is the browser test host: a development and test harness for machines without the
Electron binary. It answers only on 127.0.0.1 and only requests carrying the token.
`;

export async function serveCommand(args: string[], io: CliIo): Promise<number> {
  if (args.includes('--help')) {
    io.stdout(HELP);
    return 0;
  }
  const { values } = parseArgs(args, ['port', 'model', 'db'], []);
  const resources = resolveResources(repoRoot());
  const defaultDbDir = join(homedir(), '.candor');
  const dbPath = values.db ? resolve(values.db) : join(defaultDbDir, 'candor-audit.sqlite');
  if (!values.db) mkdirSync(defaultDbDir, { recursive: true });
  const services = createServices({
    appVersion: appVersion(),
    modelDir: values.model ? resolve(values.model) : resources.demoBundle,
    samplesIndex: resources.samplesIndex,
    dbPath,
  });
  const host = await startHost({
    dispatch: createDispatch(services, (line) => io.stderr(`${line}\n`)),
    rendererDir: resources.rendererDir,
    port: values.port ? Number(values.port) : 0,
    log: (line) => io.stderr(`${line}\n`),
  });
  io.stdout(`Candor workspace (test host) at ${host.url}\n`);
  await new Promise<void>((done) => {
    const stop = () => {
      void host.close().then(done);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
