/**
 * `candor` — the headless entry point: `npm run --silent cli -- <command> …` or the package bin.
 */
import { pathToFileURL } from 'node:url';
import { processIo, UsageError, type CliIo, type Command } from './io';

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  serve: {
    summary: 'serve the workspace on 127.0.0.1 (browser test host; dev/test harness)',
    load: async () => (await import('./commands/serve')).serveCommand,
  },
  decode: {
    summary: 'decode a DICOM/PNG/JPEG file: JSON metadata, stored pixels of one frame (--raw OUT)',
    load: async () => (await import('./commands/decode')).decodeCommand,
  },
  explain: {
    summary: 'explain an image–report pair with NIB or a baseline; --json, --db (record a finding), --pdf',
    load: async () => (await import('./commands/explain')).explainCommand,
  },
  audit: {
    summary: 'the audit log: verify (chain, pinned keys, anchors, coverage), replay, list, show, export (JSON, CSV, PDF), checkpoint, key',
    load: async () => (await import('./commands/audit')).auditCommand,
  },
  pacs: {
    summary: 'the hospital archive over DICOMweb or DIMSE: echo, search, pull a study, push files',
    load: async () => (await import('./commands/pacs')).pacsCommand,
  },
  model: {
    summary: 'model inspect DIR: the family, layers, cut tensors, pooling, tokenizer Candor finds in a bundle',
    load: async () => (await import('./commands/model')).modelCommand,
  },
  eval: {
    summary: "every method's faithfulness metrics and speed over a folder of image–text pairs",
    load: async () => (await import('./commands/eval')).evalCommand,
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return ['usage: candor <command> [options]', '', 'commands:', ...lines, '', 'Run `candor <command> --help` for its options.', ''].join('\n');
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    (name ? io.stdout : io.stderr)(usage());
    return name ? 0 : 2;
  }
  const entry = commands[name];
  if (!entry) {
    io.stderr(`candor: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    const command = await entry.load();
    return await command(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`candor ${name}: ${err.message}\n`);
      return 2;
    }
    io.stderr(`candor ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

const isMain = Boolean(process.argv[1]) && import.meta.url === pathToFileURL(process.argv[1] ?? '').href;
if (isMain || process.env.CANDOR_CLI_MAIN === '1') {
  runCli(process.argv.slice(2), processIo).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
