// NIB at int8 against fp32 (the opt-in `precision: 'int8'`): agreement on the same inputs and the
// speed-up of the warm image and text maps, measured side by side (rounds alternate which precision
// runs first; medians). On the demo model (its five studies) and on the ViT-B/32-shaped bundle
// (PAPER_BUNDLE_B32, default /tmp/refbundle-b32; skipped when absent), where the tail's products
// dominate. PRECISION_ROUNDS (default 7) rounds per bundle. First, one ViT-B-sized product three ways: fp32,
// onnxruntime's DynamicQuantizeMatMul (one activation step per tensor) and our rewrite (a step per
// row), on activations whose rows differ in size as a gradient's do.
import * as ort from 'onnxruntime-node';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { loadClipBundle, type ClipBundle } from '../../native-models/clip/bundle';
import type { Precision } from '../../native-models/explain/types';
import { DEMO_BUNDLE } from '../explain/bypassed-bundle';
import { agreement, demoStudies, explainAt, type StudyInput } from '../explain/precision-agreement';
import { median } from './scan';
import { serializeModel, type ModelProto } from '../../native-models/onnx/model';
import { quantizeMatMuls, quantizePerColumn } from '../../native-models/onnx/quantize';
import { DT, makeTensor } from '../../native-models/onnx/tensors';
import { int8Units } from '../../native-models/runtime/int8-units';

const PRECISIONS: Precision[] = ['fp32', 'int8'];

function cpuLine(): string {
  const flags = existsSync('/proc/cpuinfo') ? (/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '').trim().split(/\s+/) : [];
  const units = flags.filter((f) => /^(avx512_vnni|avx_vnni|avx512_bf16|amx_\w+)$/.test(f));
  return `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores; int8/bf16 units: ${units.length ? units.join(' ') : 'none (int8 runs on plain SIMD: expect little or no gain)'}; int8 weights: ${int8Units().weightBits} bits`;
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
  // CPU time of the whole explain() too: on a machine shared with other work it moves less than wall time.
  const cpu: Record<string, number[]> = {};
  for (const p of PRECISIONS) for (const side of ['image', 'text'] as const) await explainAt(bundle, s, p, side); // derive + warm
  for (let r = 0; r < rounds; r++) {
    for (const p of r % 2 === 0 ? PRECISIONS : [...PRECISIONS].reverse()) {
      for (const side of ['image', 'text'] as const) {
        const c0 = process.cpuUsage();
        const e = await explainAt(bundle, s, p, side);
        const c = process.cpuUsage(c0);
        (times[`${p}:${side}`] ??= []).push(side === 'image' ? e.timings.imageMs : e.timings.textMs);
        (cpu[`${p}:${side}`] ??= []).push((c.user + c.system) / 1000);
      }
    }
  }
  for (const side of ['image', 'text'] as const) {
    const [f, q] = [median(times[`fp32:${side}`]), median(times[`int8:${side}`])];
    const [cf, cq] = [median(cpu[`fp32:${side}`]), median(cpu[`int8:${side}`])];
    console.log(`  ${side} map: fp32 ${f.toFixed(1)} ms, int8 ${q.toFixed(1)} ms (median of ${rounds}): ${(f / q).toFixed(2)}× (CPU time of the run ${cf.toFixed(0)} → ${cq.toFixed(0)} ms, ${(cf / cq).toFixed(2)}×)`);
  }
}

/** [M, K]·[K, N] as a one-node graph (`node` replaces the MatMul when given). */
function productModel(K: number, N: number, w: Float32Array, node?: { op: string; domain: string; extra: ModelProto['graph'] }): ModelProto {
  const io = (name: string, n: number) => ({ name, type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [{ dimParam: 'm' }, { dimValue: n }] } } } });
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }, { domain: 'com.microsoft', version: 1 }],
    graph: {
      name: 'product',
      node: node ? [{ opType: node.op, domain: node.domain, input: ['x', ...(node.extra?.initializer ?? []).map((t) => t.name!)], output: ['y'] }] : [{ opType: 'MatMul', input: ['x', 'W'], output: ['y'] }],
      initializer: node ? node.extra?.initializer : [makeTensor('W', DT.FLOAT, [K, N], w)],
      input: [io('x', K)],
      output: [io('y', N)],
    },
  };
}

async function productBench(rounds: number): Promise<void> {
  const [M, K, N] = [500, 768, 3072];
  let seed = 1;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const w = Float32Array.from({ length: K * N }, () => rnd() * 0.05);
  // Rows 1, 1/10, 1/100, 1/1000 in size, repeating: a gradient's pooled row against its patches'.
  const x = Float32Array.from({ length: M * K }, (_, i) => rnd() * 10 ** -(Math.floor(i / K) % 4));
  const bits = int8Units().weightBits;
  const { q, scale } = quantizePerColumn(w, K, N, bits);
  const fp32 = productModel(K, N, w);
  const models: Record<string, ModelProto> = {
    fp32,
    DynamicQuantizeMatMul: productModel(K, N, w, { op: 'DynamicQuantizeMatMul', domain: 'com.microsoft', extra: { initializer: [makeTensor('Wq', DT.INT8, [K, N], q), makeTensor('Ws', DT.FLOAT, [N], scale)] } }),
    'per-row (ours)': quantizeMatMuls(fp32, { weightBits: bits }).model,
  };
  const opts: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', extra: { session: { intra_op: { allow_spinning: '0' } } } };
  const feeds = { x: new ort.Tensor('float32', x, [M, K]) };
  const times: Record<string, number[]> = {};
  const outs: Record<string, Float32Array> = {};
  const sessions = await Promise.all(Object.entries(models).map(async ([k, m]) => [k, await ort.InferenceSession.create(serializeModel(m), opts)] as const));
  for (let r = 0; r < rounds + 1; r++) {
    for (const [k, s] of r % 2 ? [...sessions].reverse() : sessions) {
      const t0 = performance.now();
      outs[k] = (await s.run(feeds)).y.data as Float32Array;
      if (r > 0) (times[k] ??= []).push(performance.now() - t0);
    }
  }
  console.log(`one product [${M}×${K}]·[${K}×${N}], ${bits}-bit weights, rows of sizes 1 to 1/1000 (median of ${rounds}; error: the largest of each row's max|Δ| over its max|fp32|):`);
  for (const [k, s] of sessions) {
    let worst = 0;
    for (let m = 0; m < M; m++) {
      let d = 0, ref = 0;
      for (let n = 0; n < N; n++) [d, ref] = [Math.max(d, Math.abs(outs[k][m * N + n] - outs.fp32[m * N + n])), Math.max(ref, Math.abs(outs.fp32[m * N + n]))];
      worst = Math.max(worst, d / ref);
    }
    const t = median(times[k]);
    console.log(`  ${k.padEnd(22)} ${t.toFixed(1)} ms (${(median(times.fp32) / t).toFixed(2)}× fp32), error ${(100 * worst).toFixed(2)} %`);
    await s.release();
  }
}

export async function run(): Promise<void> {
  const rounds = Number(process.env.PRECISION_ROUNDS ?? 7);
  console.log(`CPU: ${cpuLine()}`);
  await productBench(rounds);
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
