/** Output sinks for CLI commands, so tests can run a command in-process and read what it printed. */
import { UserInputError } from '../../native-models/errors';
export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export class UsageError extends UserInputError {}

/**
 * --name value / --flag parsing; unknown options are errors (typos must not be ignored). Other
 * arguments are errors too, unless `positional` collects them (file lists).
 */
export function parseArgs(args: string[], valued: string[], flags: string[], positional?: string[]): { values: Record<string, string>; flags: Set<string> } {
  const values: Record<string, string> = {};
  const set = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--') && positional) {
      positional.push(a);
      continue;
    }
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument "${a}"`);
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (flags.includes(name)) {
      set.add(name);
      continue;
    }
    if (!valued.includes(name)) throw new UsageError(`unknown option --${name}`);
    const v = eq > 0 ? a.slice(eq + 1) : args[++i];
    if (v === undefined) throw new UsageError(`--${name} needs a value`);
    values[name] = v;
  }
  return { values, flags: set };
}

export function intOption(values: Record<string, string>, name: string, min: number, max: number): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer ${min}–${max} (got "${v}")`);
  return n;
}

export type Command = (args: string[], io: CliIo) => Promise<number>;

export const processIo: CliIo = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
};

