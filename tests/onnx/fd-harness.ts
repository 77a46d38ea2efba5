// Builds one-op ONNX models and checks their gradient graphs against central finite differences.
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { OnnxError, serializeModel, type ModelProto, type NodeProto, type ValueInfoProto } from '../../native-models/onnx/model';
import { DT, makeAttr, makeTensor, tensorValues, type AttrValue } from '../../native-models/onnx/tensors';
import { buildGradientModel } from '../../native-models/onnx/autodiff';
import { initializersToInputs } from '../../native-models/onnx/surgery';

export type Dim = number | 'B';

export interface InputSpec {
  name: string;
  dims: Dim[];
  /** int64 tensor with these values (indices, axes, shapes); never differentiated. */
  ints?: number[];
  /** bool tensor with these values. */
  bools?: number[];
  /** Stored as an initializer instead of a graph input. */
  constant?: boolean;
  /** Float values for this input (default: random in [-1, 1], or see `positive`). */
  values?: number[];
  positive?: boolean;
  /** Differentiate with respect to it (default: every float input). */
  wrt?: boolean;
  /** Keep values away from 0 by at least this much (for Relu, Abs, Reciprocal...). */
  awayFromZero?: number;
}

export interface OpCase {
  op: string;
  inputs: InputSpec[];
  attrs?: Record<string, AttrValue>;
  outputs?: number;
  opset?: number;
  dtype?: 'float32' | 'float64';
  /** Batch sizes: the first is the probe's, the gradient is then checked at each of the others. */
  batches?: number[];
  /** Finite-difference step (default 1e-6 in float64, 1e-2 in float32, times the largest |value|). */
  fdStep?: number;
  /** Output indices that feed the loss (default all). */
  lossOutputs?: number[];
  /** How many nodes of these ops the gradient model has (forward included): the form a rule chose, e.g. Pad, not ScatterElements. */
  gradOps?: Record<string, number>;
  /** Tolerance relative to the largest gradient (default 1e-6 in float64, 2e-3 in float32). */
  tol?: number;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const concrete = (dims: Dim[], batch: number): number[] => dims.map((d) => (d === 'B' ? batch : d));
const count = (dims: number[]): number => dims.reduce((a, b) => a * b, 1);

function floatValues(spec: InputSpec, n: number, rand: () => number): number[] {
  if (spec.values) {
    if (spec.values.length === n) return spec.values;
    return Array.from({ length: n }, (_, i) => spec.values![i % spec.values!.length]);
  }
  return Array.from({ length: n }, () => {
    let v = spec.positive ? 0.5 + rand() : rand() * 2 - 1;
    if (spec.awayFromZero) v = Math.sign(v || 1) * (spec.awayFromZero + Math.abs(v));
    return v;
  });
}

function valueInfo(name: string, elemType: number, dims?: Dim[]): ValueInfoProto {
  const shape = dims ? { dim: dims.map((d) => (d === 'B' ? { dimParam: 'batch' } : { dimValue: d })) } : undefined;
  return { name, type: { tensorType: shape ? { elemType, shape } : { elemType } } };
}

interface Built {
  model: ModelProto;
  feeds: (batch: number) => Record<string, ort.Tensor>;
  wrt: string[];
  floatType: 'float32' | 'float64';
}

function build(c: OpCase, lossShapes: number[][] | null, batch: number, seed: number): Built {
  const floatType = c.dtype ?? 'float64';
  const ft = floatType === 'float64' ? DT.DOUBLE : DT.FLOAT;
  const nOut = c.outputs ?? 1;
  const outs = Array.from({ length: nOut }, (_, i) => `y${i}`);
  const nodes: NodeProto[] = [
    { opType: c.op, name: `the_${c.op}`, input: c.inputs.map((i) => i.name), output: outs, attribute: Object.entries(c.attrs ?? {}).map(([k, v]) => makeAttr(k, v)) },
  ];
  const initializer = [];
  const inputs: ValueInfoProto[] = [];
  for (const s of c.inputs) {
    if (!s.name) continue;
    const isInt = !!s.ints;
    const isBool = !!s.bools;
    const et = isInt ? DT.INT64 : isBool ? DT.BOOL : ft;
    if (s.constant) {
      const dims = concrete(s.dims, batch);
      const vals = isInt ? s.ints! : isBool ? s.bools! : floatValues(s, count(dims), rng(seed + s.name.length * 7919));
      initializer.push(makeTensor(s.name, et, dims, vals));
    } else inputs.push(valueInfo(s.name, et, s.dims));
  }
  const lossOutputs = c.lossOutputs ?? outs.map((_, i) => i);
  const terms: string[] = [];
  for (const k of lossOutputs) {
    inputs.push(valueInfo(`w${k}`, ft));
    nodes.push({ opType: 'Mul', name: `loss_mul${k}`, input: [outs[k], `w${k}`], output: [`m${k}`] });
    nodes.push({ opType: 'ReduceSum', name: `loss_sum${k}`, input: [`m${k}`], output: [`s${k}`], attribute: [makeAttr('keepdims', 0)] });
    terms.push(`s${k}`);
  }
  nodes.push({ opType: 'Sum', name: 'loss_total', input: terms, output: ['loss'] });
  const model: ModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: c.opset ?? 17 }],
    graph: {
      name: `fd_${c.op}`,
      node: nodes,
      initializer,
      input: inputs,
      output: [valueInfo('loss', ft, []), ...outs.map((o) => valueInfo(o, 0))].map((v) => (v.type?.tensorType?.elemType ? v : { name: v.name })),
    },
  };
  const wrt = c.inputs.filter((s) => s.name && !s.ints && !s.bools && s.wrt !== false).map((s) => s.name);
  const feeds = (b: number): Record<string, ort.Tensor> => {
    const rand = rng(seed * 31 + b);
    const f: Record<string, ort.Tensor> = {};
    for (const s of c.inputs) {
      if (!s.name || s.constant) continue;
      const dims = concrete(s.dims, b);
      if (s.ints) f[s.name] = new ort.Tensor('int64', BigInt64Array.from({ length: count(dims) }, (_, i) => BigInt(s.ints![i % s.ints!.length])), dims);
      else if (s.bools) f[s.name] = new ort.Tensor('bool', Uint8Array.from(s.bools), dims);
      else f[s.name] = floatTensor(floatType, floatValues(s, count(dims), rand), dims);
    }
    if (lossShapes) {
      for (const k of lossOutputs) {
        const d = lossShapes[k];
        f[`w${k}`] = floatTensor(floatType, Array.from({ length: count(d) }, () => rand() * 2 - 1), d);
      }
    }
    return f;
  };
  return { model, feeds, wrt, floatType };
}

function floatTensor(t: 'float32' | 'float64', v: number[], dims: number[]): ort.Tensor {
  return new ort.Tensor(t, t === 'float64' ? Float64Array.from(v) : Float32Array.from(v), dims);
}

/** Runs a model once in a session of its own. */
export async function runModel(m: ModelProto, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const s = await ort.InferenceSession.create(serializeModel(m));
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

/** How many nodes of an op a model has. */
export const countOps = (m: ModelProto, op: string): number => m.graph!.node!.filter((n) => n.opType === op).length;

async function session(model: ModelProto): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(serializeModel(model), { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
}

/** Output shapes of the op at a batch size (weights of the loss are fed with these shapes). */
async function outputShapes(c: OpCase, batch: number, seed: number): Promise<number[][]> {
  const { model, feeds } = build(c, null, batch, seed);
  const lossOutputs = c.lossOutputs ?? Array.from({ length: c.outputs ?? 1 }, (_, i) => i);
  const g = model.graph!;
  const plain: ModelProto = {
    ...model,
    graph: { ...g, node: g.node!.slice(0, 1), input: g.input!.filter((i) => !/^w\d+$/.test(i.name!)), output: (g.node![0].output ?? []).map((name) => ({ name })) },
  };
  const s = await session(plain);
  const r = await s.run(feeds(batch));
  await s.release();
  const out: number[][] = [];
  for (const k of lossOutputs) out[k] = [...r[`y${k}`].dims];
  return out;
}

async function buildCase(c: OpCase, seed: number): Promise<{ probe: Built; gradModel: ModelProto }> {
  const probeBatch = (c.batches ?? [2])[0];
  const probe = build(c, await outputShapes(c, probeBatch, seed), probeBatch, seed);
  return { probe, gradModel: await buildGradientModel(probe.model, { objective: 'loss', wrt: probe.wrt, probe: probe.feeds(probeBatch) }) };
}

/** The case's gradient is refused with an OnnxError whose message matches. */
export async function checkRefused(c: OpCase, pattern: RegExp): Promise<void> {
  await assert.rejects(buildCase(c, 1), (e: unknown) => e instanceof OnnxError && pattern.test(e.message));
}

/**
 * Checks every wrt gradient of the case against central differences. Returns the worst relative error.
 * float64: step 1e-6, tolerance 1e-6 relative; float32: step 1e-2 (relative to the value scale), tolerance 2e-3.
 */
export async function checkGradients(c: OpCase, seed = 1): Promise<number> {
  const batches = c.batches ?? [2, 3];
  const { probe, gradModel } = await buildCase(c, seed);
  for (const [op, n] of Object.entries(c.gradOps ?? {})) {
    assert.equal(countOps(gradModel, op), n, `${c.op}: ${op} nodes in the gradient model`);
  }
  const gradSession = await session(gradModel);
  const fdModel = initializersToInputs(probe.model, c.inputs.filter((s) => s.constant && probe.wrt.includes(s.name)).map((s) => s.name));
  const fdSession = await session(fdModel);
  const consts = new Map(probe.model.graph!.initializer!.map((t) => [t.name!, t]));
  let worst = 0;
  const checkAt = batches.length > 1 ? batches.slice(1) : batches;
  try {
    for (const b of checkAt) {
      const shapes = await outputShapes(c, b, seed);
      const built = build(c, shapes, b, seed);
      const feeds = built.feeds(b);
      const gradFeeds = { ...feeds };
      const fdFeeds: Record<string, ort.Tensor> = { ...feeds };
      for (const s of c.inputs) {
        if (s.constant && probe.wrt.includes(s.name)) {
          const t = consts.get(s.name)!;
          const dims = (t.dims ?? []).map(Number);
          const vals = tensorValues(t);
          fdFeeds[s.name] = floatTensor(built.floatType, vals, dims);
        }
      }
      const res = await gradSession.run(gradFeeds);
      const loss = async (f: Record<string, ort.Tensor>): Promise<number> => Number((await fdSession.run(f, ['loss'])).loss.data[0]);
      const base = await loss(fdFeeds);
      assert.ok(Math.abs(Number(res.loss.data[0]) - base) <= 1e-9 + 1e-5 * Math.abs(base), `${c.op}: forward loss differs in the gradient model`);
      for (const w of probe.wrt) {
        const g = res[`grad:${w}`];
        const x = fdFeeds[w];
        assert.deepEqual([...g.dims], [...x.dims], `${c.op}: grad:${w} has shape [${g.dims}] instead of [${x.dims}]`);
        const data = x.data as Float64Array | Float32Array;
        const f64 = built.floatType === 'float64';
        const scale = Math.max(1, ...Array.from(data, Math.abs));
        const h = c.fdStep ?? (f64 ? 1e-6 * scale : 1e-2 * scale);
        let gmax = 0;
        const fd: number[] = [];
        for (let i = 0; i < data.length; i++) {
          const orig = data[i];
          const plus = data.slice();
          plus[i] = orig + h;
          const minus = data.slice();
          minus[i] = orig - h;
          const lp = await loss({ ...fdFeeds, [w]: new ort.Tensor(x.type as 'float32', plus, x.dims) });
          const lm = await loss({ ...fdFeeds, [w]: new ort.Tensor(x.type as 'float32', minus, x.dims) });
          fd.push((lp - lm) / (2 * h));
          gmax = Math.max(gmax, Math.abs(fd[i]));
        }
        const got = g.data as Float64Array | Float32Array;
        // float32: the worst error over every case is 1.4e-4 (MaxPool); 2e-3 leaves room for other CPUs.
        const tol = c.tol ?? (f64 ? 1e-6 : 2e-3);
        for (let i = 0; i < fd.length; i++) {
          const err = Math.abs(got[i] - fd[i]) / Math.max(gmax, 1e-3);
          worst = Math.max(worst, err);
          assert.ok(err <= tol, `${c.op} (batch ${b}): grad:${w}[${i}] = ${got[i]} but finite differences give ${fd[i]} (relative error ${err.toExponential(2)})`);
        }
        assert.ok(gmax > 0 || c.inputs.find((s) => s.name === w)?.wrt === true, `${c.op}: finite differences of ${w} are all zero; the case tests nothing`);
      }
    }
  } finally {
    await gradSession.release();
    await fdSession.release();
  }
  return worst;
}

/**
 * A whole graph (nodes + float64 initializers) with a scalar output `loss` against central differences
 * of its input `wrt`: the gradient model is built from a probe at one batch size and checked at another.
 * Returns the worst relative error (tolerance 1e-6 of the largest gradient, float64).
 */
export async function checkGraphGradient(model: ModelProto, wrt: string, feeds: (batch: number) => Record<string, ort.Tensor>, batches: [number, number] = [2, 3]): Promise<number> {
  const gradModel = await buildGradientModel(model, { objective: 'loss', wrt: [wrt], probe: feeds(batches[0]) });
  const gradSession = await session(gradModel);
  const fdSession = await session(model);
  try {
    const f = feeds(batches[1]);
    const res = await gradSession.run(f);
    const loss = async (x: Record<string, ort.Tensor>): Promise<number> => Number((await fdSession.run(x, ['loss'])).loss.data[0]);
    const x = f[wrt];
    const data = x.data as Float64Array;
    const h = 1e-6 * Math.max(1, ...Array.from(data, Math.abs));
    const fd = new Float64Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const plus = data.slice();
      plus[i] += h;
      const minus = data.slice();
      minus[i] -= h;
      fd[i] = ((await loss({ ...f, [wrt]: new ort.Tensor('float64', plus, x.dims) })) - (await loss({ ...f, [wrt]: new ort.Tensor('float64', minus, x.dims) }))) / (2 * h);
    }
    const got = res[`grad:${wrt}`].data as Float64Array;
    const gmax = Math.max(...Array.from(fd, Math.abs));
    assert.ok(gmax > 0, 'finite differences are all zero: the case tests nothing');
    let worst = 0;
    for (let i = 0; i < fd.length; i++) {
      const err = Math.abs(got[i] - fd[i]) / gmax;
      worst = Math.max(worst, err);
      assert.ok(err <= 1e-6, `grad:${wrt}[${i}] = ${got[i]} but finite differences give ${fd[i]} (relative error ${err.toExponential(2)})`);
    }
    return worst;
  } finally {
    await gradSession.release();
    await fdSession.release();
  }
}
