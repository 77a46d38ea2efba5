/**
 * The methods' part of the CLI, read from the registry's specs (METHOD_SPECS): the help text
 * (every method with its label, what it explains, the shared settings it reads, its own settings
 * with limits and defaults) and the method settings as options (--beta 0.2, --text-masks 100).
 */
import { describeLimit, INT8_SUMMARY, LAYER, METHOD_SPECS, paramOption, STEPS, withinLimit, type MethodSpec, type ParamGroup } from '../../native-models/explain/methods';
import { PRECISIONS, type Method, type Precision } from '../../native-models/explain/types';
import { UsageError } from './io';

/** CLI spelling of an extra key: textMasks → text-masks. */
export function cliOption(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function groups(spec: MethodSpec): [string, ParamGroup][] {
  const { image, text } = spec.params;
  if (image === text) return image ? [['', image]] : [];
  return [['image', image], ['text', text]].filter((g): g is [string, ParamGroup] => g[1] !== null);
}

/** Every option key any method declares, as the CLI spells it. */
export function methodOptionNames(): string[] {
  const names = new Set<string>();
  for (const spec of Object.values(METHOD_SPECS)) for (const [, g] of groups(spec)) for (const [name, p] of Object.entries(g.params)) names.add(cliOption(paramOption(name, p)));
  return [...names].sort();
}

export function methodsHelp(): string {
  const width = Math.max(...Object.keys(METHOD_SPECS).map((m) => m.length));
  const lines = ['methods (--method; --methods for eval):'];
  for (const spec of Object.values(METHOD_SPECS)) {
    const sides = [spec.sides.image && 'image', spec.sides.text && 'text'].filter(Boolean).join(' and ');
    const reads = [spec.usesLayer && '--layer', spec.usesSteps && '--steps'].filter(Boolean);
    lines.push(`  ${spec.id.padEnd(width)}  ${spec.label}: ${spec.summary}; explains ${sides}${reads.length ? `; reads ${reads.join(', ')}` : ''}`);
    const rows = groups(spec).flatMap(([side, g]) => Object.entries(g.params).map(([name, p]) => ({ side, option: `--${cliOption(paramOption(name, p))} ${p.integer ? 'N' : 'X'}`, p })));
    // A setting both sides read alike is listed once.
    const shown = rows.filter((r, i) => !rows.slice(0, i).some((o) => o.option === r.option && o.p === r.p));
    const same = (r: (typeof rows)[number]): boolean => rows.filter((o) => o.option === r.option && o.p === r.p).length > 1;
    const col = Math.max(0, ...shown.map((r) => r.option.length + (same(r) || !r.side ? 0 : r.side.length + 2)));
    for (const r of shown) {
      const name = same(r) || !r.side ? r.option : `${r.side}: ${r.option}`;
      lines.push(`  ${''.padEnd(width)}    ${name.padEnd(col)}  ${r.p.summary} [${describeLimit(r.p)}, default ${r.p.default}]`);
    }
  }
  lines.push(`--layer L: ${describeLimit(LAYER)} within the model's depth (default ¾ of it); --steps N: ${describeLimit(STEPS)} (default ${STEPS.default}).`);
  const reduced = Object.values(METHOD_SPECS).filter((s) => s.precisions.length > 1).map((s) => s.label);
  lines.push(`--precision ${PRECISIONS.join('|')} (default fp32; ${reduced.join(', ')} only): int8 = ${INT8_SUMMARY}.`);
  return lines.join('\n');
}

/**
 * The method settings given on the command line, as ExplainOptions.extra. A setting none of the
 * chosen methods reads, or a value outside its limits, is a usage error (a typo must not be ignored).
 */
export function methodExtra(methods: Method[], values: Record<string, string>): Record<string, number> {
  const extra: Record<string, number> = {};
  for (const cli of methodOptionNames()) {
    const v = values[cli];
    if (v === undefined) continue;
    const readers = methods.flatMap((m) => groups(METHOD_SPECS[m]).flatMap(([, g]) => Object.entries(g.params).filter(([name, p]) => cliOption(paramOption(name, p)) === cli)));
    if (readers.length === 0) throw new UsageError(`--${cli} is not a setting of ${methods.map((m) => METHOD_SPECS[m].label).join(', ')} (see --help)`);
    const n = Number(v);
    for (const [, p] of readers) if (v.trim() === '' || !withinLimit(p, n)) throw new UsageError(`--${cli} must be ${describeLimit(p)} (got "${v}")`);
    const [name, p] = readers[0];
    extra[paramOption(name, p)] = n;
  }
  return extra;
}

/** --precision, checked against what the chosen methods run in (absent: fp32). */
export function methodPrecision(methods: Method[], value: string | undefined): Precision {
  if (value === undefined) return 'fp32';
  if (!(PRECISIONS as readonly string[]).includes(value)) throw new UsageError(`--precision must be ${PRECISIONS.join(' or ')} (got "${value}")`);
  const p = value as Precision;
  const cannot = methods.filter((m) => !METHOD_SPECS[m].precisions.includes(p));
  if (cannot.length) throw new UsageError(`--precision ${p}: ${cannot.map((m) => METHOD_SPECS[m].label).join(', ')} run${cannot.length === 1 ? 's' : ''} in ${METHOD_SPECS[cannot[0]].precisions.join(' or ')} only`);
  return p;
}
