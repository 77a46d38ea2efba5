/**
 * `candor model inspect DIR [--json] [--text "…"]`: what Candor makes of a model bundle (the family,
 * each tower's layers and cut tensors, non-patch tokens and grid, pooling, inputs, tokenizer with a
 * sample tokenization, preprocessing), or the problem that makes it unusable (exit 1).
 */
import { inspectBundle, type InspectReport, type TowerReport } from '../../../native-models/clip/inspect';
import { parseArgs, UsageError, type CliIo } from '../io';

const USAGE = 'usage: candor model inspect DIR [--json] [--text "sample report text"]';

function towerLines(name: string, t: TowerReport, extra: string[]): string[] {
  return [
    `${name} tower  ${t.file}`,
    `  inputs ${t.inputs.join(', ')} → ${t.output}`,
    `  ${t.layers} layers, width ${t.width}${extra.length ? `; ${extra.join('; ')}` : ''}`,
    `  cut points: ${t.cutPoints}`,
    ...t.cuts.map((c, i) => `    layer ${String(i).padStart(2)}${i === t.layers ? ' (encoder output)' : ''}  ${c}`),
    `  pooling: ${t.poolingText}`,
  ];
}

export function formatReport(r: InspectReport): string {
  const lines = [`model bundle ${r.dir}`];
  const cfg = [r.config.modelType ? `model_type ${r.config.modelType}` : null, r.config.architectures.length ? r.config.architectures.join(', ') : null].filter(Boolean);
  if (cfg.length) lines.push(`config.json: ${cfg.join('; ')}`);
  if (r.family) lines.push(`family: ${r.family.label}`, `  ${r.family.traits.join('; ')}`);
  if (r.vision) {
    const v = r.vision;
    lines.push(...towerLines('vision', v, [`${v.tokens} tokens: ${v.imageSize} px in ${v.patchSize} px patches = ${v.grid[0]}×${v.grid[1]} grid`, `non-patch tokens: ${v.prefixText}`]));
  }
  if (r.text) lines.push(...towerLines('text', r.text, [`context ${r.text.contextLength}`]));
  if (r.preprocessing) lines.push(`preprocessing: ${r.preprocessing}`);
  if (r.tokenizer) {
    const t = r.tokenizer;
    lines.push(`tokenizer: ${t.type}${t.vocabulary ? `, ${t.vocabulary} entries` : ''}${t.unknownToken ? `, unknown words → ${t.unknownToken}` : ''}`);
    if (t.padding) lines.push(`  ${t.padding}`);
    if (t.sample) {
      lines.push(`  sample: ${JSON.stringify(t.sample.text)}`);
      const shown = t.sample.tokens.map((k) => (k.pad ? '[pad]' : k.special ? k.token : `${k.token}@${k.start}–${k.end}`));
      // A long run of padding is summarised.
      const pads = t.sample.tokens.filter((k) => k.pad).length;
      lines.push(`  → ${shown.filter((s) => s !== '[pad]').join(' ')}${pads ? ` + ${pads} × [pad]` : ''}`);
    }
  }
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  if (r.error) lines.push(`cannot use this bundle: ${r.error}`);
  else lines.push('usable: NIB runs on both towers');
  return `${lines.join('\n')}\n`;
}

export async function modelCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === '--help' || sub === '-h') {
    (sub ? io.stdout : io.stderr)(`${USAGE}\n`);
    return sub ? 0 : 2;
  }
  if (sub !== 'inspect') {
    io.stderr(`candor model: unknown subcommand '${sub}'\n${USAGE}\n`);
    return 2;
  }
  const dir = rest[0] && !rest[0].startsWith('--') ? rest[0] : null;
  try {
    if (!dir) throw new UsageError('DIR (the model bundle folder) is required');
    const { values, flags } = parseArgs(rest.slice(1), ['text'], ['json']);
    const report = await inspectBundle(dir, { text: values.text });
    io.stdout(flags.has('json') ? `${JSON.stringify(report, null, 1)}\n` : formatReport(report));
    return report.ok ? 0 : 1;
  } catch (e) {
    io.stderr(`candor model inspect: ${(e as Error).message}\n`);
    if (e instanceof UsageError) io.stderr(`${USAGE}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}
