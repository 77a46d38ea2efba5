// NIB at int8 against fp32 (the opt-in `precision: 'int8'`): agreement on the same inputs and the
// speed-up of the warm image and text maps, measured side by side (rounds alternate which precision
// runs first; medians). On the demo model (its five studies) and on the ViT-B/32-shaped bundle
// (PAPER_BUNDLE_B32, default /tmp/refbundle-b32; skipped when absent), where the tail's products
// dominate. PRECISION_ROUNDS (default 7) rounds per bundle.
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { loadClipBundle, type ClipBundle } from '../../native-models/clip/bundle';
import type { Precision } from '../../native-models/explain/types';
import { DEMO_BUNDLE } from '../explain/bypassed-bundle';
import { agreement, demoStudies, explainAt, type StudyInput } from '../explain/precision-agreement';
import { median } from './scan';

const PRECISIONS: Precision[] = ['fp32', 'int8'];

function cpuLine(): string {
  const flags = existsSync('/proc/cpuinfo') ? (/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '').trim().split(/\s+/) : [];
  const units = flags.filter((f) => /^(avx512_vnni|avx_vnni|avx512_bf16|amx_\w+)$/.test(f));
  return `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores; int8/bf16 units: ${units.length ? units.join(' ') : 'none (int8 runs on plain SIMD: expect little or no gain)'}`;
}

async function agreementTable(bundle: ClipBundle, studies: StudyInput[]): Promise<void> {
  console.log('  study     patch ρ  map ρ   max|Δ word raw| (of max)  max|Δ word norm|  top word');
  for (const s of studies) {
    const a = agreement(await explainAt(bundle, s, 'fp32'), await explainAt(bundle, s, 'int8'));
    console.log(`  ${s.id.padEnd(8)}  ${a.patchSpearman.toFixed(4)}   ${a.mapSpearman.toFixed(4)}  ${a.wordRawMax.toExponential(2)} (${(100 * a.wordRawRelative).toFixed(1)} %)       ${a.wordNormMax.toFixed(3)}             ${a.topWordSame ? 'same' : 'DIFFERENT'}`);
  }
}

/** Warm image-map and text-map times per precision, rounds alternating the order. */
async function speed(bundle: ClipBundle, s: StudyInput, rounds: number): Promise<void> {
  const times: Record<string, number[]> = {};
  for (const p of PRECISIONS) for (const side of ['image', 'text'] as const) await explainAt(bundle, s, p, side); // derive + warm
  for (let r = 0; r < rounds; r++) {
    for (const p of r % 2 === 0 ? PRECISIONS : [...PRECISIONS].reverse()) {
      for (const side of ['image', 'text'] as const) {
        const e = await explainAt(bundle, s, p, side);
        (times[`${p}:${side}`] ??= []).push(side === 'image' ? e.timings.imageMs : e.timings.textMs);
      }
    }
  }
  for (const side of ['image', 'text'] as const) {
    const [f, q] = [median(times[`fp32:${side}`]), median(times[`int8:${side}`])];
    console.log(`  ${side} map: fp32 ${f.toFixed(1)} ms, int8 ${q.toFixed(1)} ms (median of ${rounds}): ${(f / q).toFixed(2)}× faster`);
  }
}

export async function run(): Promise<void> {
  const rounds = Number(process.env.PRECISION_ROUNDS ?? 7);
  console.log(`CPU: ${cpuLine()}`);
  const studies = await demoStudies();
  const dir = process.env.PAPER_BUNDLE_B32 ?? '/tmp/refbundle-b32';
  const bundles: [string, string][] = [['demo model', DEMO_BUNDLE], ['ViT-B/32-shaped bundle', dir]];
  for (const [name, path] of bundles) {
    if (!existsSync(join(path, 'onnx', 'vision_model.onnx'))) {
      console.log(`\n${name}: skipped, no bundle at ${path} (set PAPER_BUNDLE_B32; tests/bench/paper.ts says how to make it)`);
      continue;
    }
    const bundle = await loadClipBundle(path, { prefer: 'cpu' });
    try {
      console.log(`\n${name} (${bundle.name}; NIB, default layer, 10 steps), the demo studies: int8 against fp32`);
      await agreementTable(bundle, studies);
      await speed(bundle, studies[0], rounds);
    } finally {
      await bundle.dispose();
    }
  }
}
