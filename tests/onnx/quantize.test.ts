// The int8 rewrite of weight products (native-models/onnx/quantize.ts): onnxruntime runs it, each
// output lies within the bound of the two rounding steps computed here independently in float64,
// the transposed weights of a backward product are found, and the fp32 model is left as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { serializeModel, type ModelProto } from '../../native-models/onnx/model';
import { quantizeMatMuls, quantizePerColumn } from '../../native-models/onnx/quantize';
import { DT, makeTensor } from '../../native-models/onnx/tensors';

const [K, N, M] = [48, 40, 6];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

/** y = x·W (W stored [K, N]) and z = x·(Vᵀ) (V stored [N, K], read through a Transpose, as a gradient reads weights). */
function model(w: Float32Array, v: Float32Array): ModelProto {
  const io = (name: string, n: number) => ({ name, type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [{ dimParam: 'm' }, { dimValue: n }] } } } });
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'products',
      node: [
        { opType: 'MatMul', name: 'mm', input: ['x', 'W'], output: ['y'] },
        { opType: 'Transpose', name: 't', input: ['V'], output: ['Vt'], attribute: [{ name: 'perm', type: 7, ints: [1, 0] }] },
        { opType: 'MatMul', name: 'mmT', input: ['x', 'Vt'], output: ['z'] },
      ],
      initializer: [makeTensor('W', DT.FLOAT, [K, N], w), makeTensor('V', DT.FLOAT, [N, K], v)],
      input: [io('x', K)],
      output: [io('y', N), io('z', N)],
    },
  };
}

/** The bound of quantize.ts on |Δy| per output, from each row's activation step and each column's weight step. */
function bound(x: Float32Array, w: Float32Array, bits: 7 | 8): Float64Array {
  const { scale } = quantizePerColumn(w, K, N, bits);
  const out = new Float64Array(M * N);
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
    let peak = 0;
    for (let k = 0; k < K; k++) peak = Math.max(peak, Math.abs(x[m * K + k]));
    const a = peak / 127;
    let e = 0;
    for (let k = 0; k < K; k++) e += Math.abs(x[m * K + k]) * scale[n] / 2 + Math.abs(w[k * N + n]) * a / 2 + a * scale[n] / 4;
    out[m * N + n] = e;
  }
  return out;
}

function product(x: Float32Array, w: Float32Array): Float64Array {
  const y = new Float64Array(M * N);
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) y[m * N + n] += x[m * K + k] * w[k * N + n];
  return y;
}

/** The integer arithmetic quantize.ts asks for, done here in exact integers: what onnxruntime must return up to float32 rounding of the rescale. */
function simulated(x: Float32Array, w: Float32Array, bits: 7 | 8): Float64Array {
  const { q, scale } = quantizePerColumn(w, K, N, bits);
  const y = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    let peak = 0;
    for (let k = 0; k < K; k++) peak = Math.max(peak, Math.abs(x[m * K + k]));
    const a = Math.fround(Math.fround(Math.max(peak, 1e-30)) / 127);
    const qa = Array.from({ length: K }, (_, k) => Math.round(Math.fround(x[m * K + k] / a)));
    for (let n = 0; n < N; n++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += qa[k] * q[k * N + n];
      y[m * N + n] = acc * a * scale[n];
    }
  }
  return y;
}

for (const bits of [8, 7] as const) test(`int8 products (${bits}-bit weights): the exact integer arithmetic, within the rounding bound of the float product, the transposed weights included; fp32 model untouched`, async () => {
  const r = rng(7);
  // Columns of very different size: per-column steps keep the small ones accurate.
  const w = Float32Array.from({ length: K * N }, (_, i) => r() * (1 + (i % N)) * 0.05);
  const v = Float32Array.from({ length: N * K }, () => r() * 0.3);
  // Rows of very different size too (a gradient's pooled row against its patches'): per-row steps keep the small ones accurate.
  const x = Float32Array.from({ length: M * K }, (_, i) => (r() * 2 + 0.3) * 10 ** -Math.floor(i / K));
  const vt = new Float32Array(K * N);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) vt[k * N + n] = v[n * K + k];

  const fp32 = model(w, v);
  const before = serializeModel(fp32);
  const q = quantizeMatMuls(fp32, { weightBits: bits });
  assert.equal(q.quantized, 2);
  assert.equal(q.weights, 2 * K * N);
  assert.deepEqual(serializeModel(fp32), before, 'the fp32 model is not changed');
  const ops = q.model.graph!.node!.map((n) => n.opType);
  assert.equal(ops.filter((o) => o === 'MatMulInteger').length, 2);
  assert.ok(!ops.includes('MatMul') && !ops.includes('Transpose'), `no float product left, nor the Transpose only it read: ${ops.join(' ')}`);
  const matrices = q.model.graph!.initializer!.filter((t) => (t.dims ?? []).length === 2);
  assert.deepEqual(matrices.map((t) => t.dataType), [DT.INT8, DT.INT8], 'the fp32 weights are gone, the int8 ones stored');

  const feeds = { x: new ort.Tensor('float32', x, [M, K]) };
  const [sf, sq] = [await ort.InferenceSession.create(serializeModel(fp32)), await ort.InferenceSession.create(serializeModel(q.model))];
  const [of, oq] = [await sf.run(feeds), await sq.run(feeds)];
  for (const [out, weights] of [['y', w], ['z', vt]] as const) {
    const exact = product(x, weights);
    const b = bound(x, weights, bits);
    const sim = simulated(x, weights, bits);
    const got = oq[out].data as Float32Array;
    const f = of[out].data as Float32Array;
    let worst = 0, any = 0;
    for (let i = 0; i < M * N; i++) {
      // Integer sums are exact (no 16-bit saturation on any CPU at these widths): only the float rescale rounds.
      assert.ok(Math.abs(got[i] - sim[i]) <= 1e-6 * Math.abs(sim[i]) + 1e-30, `${out}[${i}]: int8 ${got[i]} vs the integer arithmetic ${sim[i]}`);
      const err = Math.abs(got[i] - exact[i]);
      // float32 accumulation of the dequantized result adds ~1e-6 relative
      assert.ok(err <= b[i] * (1 + 1e-4) + 1e-5 * Math.abs(exact[i]) + 1e-12, `${out}[${i}]: int8 ${got[i]} vs exact ${exact[i]}: error ${err} over the bound ${b[i]}`);
      assert.ok(Math.abs(f[i] - exact[i]) <= 1e-4 * (1 + Math.abs(exact[i])), `${out}[${i}]: fp32 path ${f[i]} vs ${exact[i]}`);
      worst = Math.max(worst, err / b[i]);
      any = Math.max(any, Math.abs(got[i] - f[i]));
    }
    // It is quantized for real (a copy of the fp32 product would pass the bound trivially) and the bound is not loose by orders.
    assert.ok(any > 1e-6, `${out}: the int8 product equals fp32 (${any}): not quantized`);
    assert.ok(worst > 0.01, `${out}: the errors use under 1% of the bound (${worst}): the bound derivation is off`);
  }
  await sf.release();
  await sq.release();
});

test('int8 products: per-column steps are max|column|/127 (7-bit: /63) and round to nearest, zero columns stay zero', () => {
  const w = Float32Array.from([1, 0, -0.51, 0, 0.26, 0]);
  const { q, scale } = quantizePerColumn(w, 3, 2);
  assert.deepEqual(Array.from(scale), [1 / 127, 1].map(Math.fround));
  assert.deepEqual(Array.from(q), [127, 0, -65, 0, 33, 0]);
  const seven = quantizePerColumn(w, 3, 2, 7);
  assert.deepEqual(Array.from(seven.scale), [1 / 63, 1].map(Math.fround));
  assert.deepEqual(Array.from(seven.q), [63, 0, -32, 0, 16, 0]);
});
