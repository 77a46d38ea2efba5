/** Output sinks for CLI commands, so tests can run a command in-process and read what it printed. */
export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}
export type Command = (args: string[], io: CliIo) => Promise<number>;

export const processIo: CliIo = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
};

/** Parses `--name value` and `--flag` options; positional arguments are returned in order. */
export function parseArgs(
  args: string[],
  spec: { values?: string[]; flags?: string[] },
): { values: Map<string, string>; flags: Set<string>; positional: string[] } {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const positional: string[] = [];
  const valueNames = new Set(spec.values ?? []);
  const flagNames = new Set(spec.flags ?? []);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (flagNames.has(name) && eq < 0) {
        flags.add(name);
      } else if (valueNames.has(name)) {
        const v = eq > 0 ? a.slice(eq + 1) : args[++i];
        if (v === undefined) throw new UsageError(`option --${name} needs a value`);
        values.set(name, v);
      } else {
        throw new UsageError(`unknown option --${name}`);
      }
    } else {
      positional.push(a);
    }
  }
  return { values, flags, positional };
}

export class UsageError extends Error {
  override name = 'UsageError';
}
