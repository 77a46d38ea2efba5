// Gradient engine benchmark: tail forward vs forward+gradient for ViT-B/32-shaped and CLIP-text-shaped towers
// cut at layer 9, batch 10 (random weights, generated into a temp folder at bench time).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { writeRandomClipBundle } from '../../native-models/onnx/clipgen';
import { readModel, serializeModel, type ModelProto } from '../../native-models/onnx/model';
import { extractSubgraph } from '../../native-models/onnx/surgery';
import { appendCosineObjective } from '../../native-models/onnx/objective';
import { buildGradientModel } from '../../native-models/onnx/autodiff';
import { createSession } from '../../native-models/runtime/session';

const CUT_LAYER = 9;
const BATCH = 10;
const WARMUP = 2;
const RUNS = Number(process.env.ENGINE_BENCH_RUNS ?? 5);

function randomTensor(dims: number[], seed: number): ort.Tensor {
  let s = seed;
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    data[i] = (s / 4294967296 - 0.5) * 2;
  }
  return new ort.Tensor('float32', data, dims);
}

function textIds(batch: number, len: number, eos: number): ort.Tensor {
  const data = new BigInt64Array(batch * len);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < len; t++) data[b * len + t] = BigInt(t === 0 ? eos - 1 : t === len - 1 ? eos : 1 + ((b * 31 + t * 7) % 200));
  }
  return new ort.Tensor('int64', data, [batch, len]);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

interface TowerCase {
  label: string;
  file: string;
  cut: string;
  embedding: string;
  hidden: number[];
  extra: (batch: number) => Record<string, ort.Tensor>;
  dim: number;
}

async function benchTower(c: TowerCase): Promise<void> {
  const full = readModel(c.file);
  const tail: ModelProto = appendCosineObjective(extractSubgraph(full, { inputs: [c.cut], outputs: [c.embedding] }), { embedding: c.embedding });
  const target = randomTensor([1, c.dim], 99);
  const feedsAt = (batch: number): Record<string, ort.Tensor> => ({
    [c.cut]: randomTensor([batch, ...c.hidden], 7),
    target_embeds: target,
    ...c.extra(batch),
  });
  const t0 = performance.now();
  const grad = await buildGradientModel(tail, { objective: 'objective', wrt: [c.cut], probe: feedsAt(2) });
  const buildMs = performance.now() - t0;
  const fwdNodes = tail.graph!.node!.length;
  const gradNodes = grad.graph!.node!.length;
  const fwd = await createSession(serializeModel(tail));
  const bwd = await createSession(serializeModel(grad));
  const feeds = feedsAt(BATCH);
  const fwdOut = ['objective'];
  const bwdOut = ['objective', `grad:${c.cut}`];
  for (let i = 0; i < WARMUP; i++) {
    await fwd.session.run(feeds, fwdOut);
    await bwd.session.run(feeds, bwdOut);
  }
  const tf: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let s = performance.now();
    await fwd.session.run(feeds, fwdOut);
    tf.push(performance.now() - s);
    s = performance.now();
    await bwd.session.run(feeds, bwdOut);
    tb.push(performance.now() - s);
  }
  const f = median(tf);
  const b = median(tb);
  console.log(
    `${c.label.padEnd(34)} forward ${f.toFixed(1).padStart(8)} ms   forward+gradient ${b.toFixed(1).padStart(8)} ms   ratio ${(b / f).toFixed(2)}` +
      `   (provider ${fwd.provider}; nodes ${fwdNodes} -> ${gradNodes}; graph built in ${buildMs.toFixed(0)} ms)`,
  );
  await fwd.session.release();
  await bwd.session.release();
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'candor-engine-bench-'));
  try {
    const t0 = performance.now();
    await writeRandomClipBundle(dir, {
      imageSize: 224, patch: 32, visionWidth: 768, visionLayers: 12, visionHeads: 12,
      textWidth: 512, textLayers: 12, textHeads: 8, contextLength: 77, projection: 512, vocabSize: 49408, seed: 1,
    });
    console.log(`engine bench: random ViT-B/32 + CLIP text bundle written in ${((performance.now() - t0) / 1000).toFixed(1)} s; cut at layer ${CUT_LAYER}, batch ${BATCH}, median of ${RUNS} warm runs`);
    await benchTower({
      label: 'vision ViT-B/32 (50 tokens x 768)', file: join(dir, 'onnx/vision_model.onnx'),
      cut: `/vision_model/encoder/layers.${CUT_LAYER - 1}/Add_1_output_0`, embedding: 'image_embeds', hidden: [50, 768], extra: () => ({}), dim: 512,
    });
    await benchTower({
      label: 'text CLIP (77 tokens x 512)', file: join(dir, 'onnx/text_model.onnx'),
      cut: `/text_model/encoder/layers.${CUT_LAYER - 1}/Add_1_output_0`, embedding: 'text_embeds', hidden: [77, 512],
      extra: (batch) => ({ input_ids: textIds(batch, 77, 49407) }), dim: 512,
    });
    // newer torch exports (opset 17+) keep LayerNorm as one op, which stays fused in the gradient graph too
    const dir18 = join(dir, 'opset18');
    await writeRandomClipBundle(dir18, {
      imageSize: 224, patch: 32, visionWidth: 768, visionLayers: 12, visionHeads: 12,
      textWidth: 64, textLayers: 1, textHeads: 1, contextLength: 77, projection: 512, vocabSize: 100, seed: 1, opset: 18,
    });
    await benchTower({
      label: 'vision ViT-B/32, opset 18 LN op', file: join(dir18, 'onnx/vision_model.onnx'),
      cut: `/vision_model/encoder/layers.${CUT_LAYER - 1}/Add_1_output_0`, embedding: 'image_embeds', hidden: [50, 768], extra: () => ({}), dim: 512,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) await run();
