// The onnxruntime lowering of transposed weights (native-models/onnx/ort-fusion.ts): which products it
// rewrites and which it leaves, that onnxruntime computes the same values from the rewritten graph, and
// that the int8 rewrite (quantize.ts) reads a fused product's weight as it read the Transpose's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { serializeModel, type ModelProto, type NodeProto } from '../../native-models/onnx/model';
import { fuseTransposedWeights, ORT_DOMAIN, swapsLastTwo } from '../../native-models/onnx/ort-fusion';
import { quantizeMatMuls } from '../../native-models/onnx/quantize';
import { DT, getAttr, makeAttr, makeTensor } from '../../native-models/onnx/tensors';

const [M, K, N] = [5, 12, 7];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

const io = (name: string, dims: number[], elemType: number = DT.FLOAT) => ({ name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
const transpose = (name: string, input: string, output: string, perm?: number[]): NodeProto => ({ opType: 'Transpose', name, input: [input], output: [output], attribute: perm ? [makeAttr('perm', perm)] : [] });
const matmul = (name: string, a: string, b: string, y: string): NodeProto => ({ opType: 'MatMul', name, input: [a, b], output: [y] });
const values = (r: () => number, n: number): Float32Array => Float32Array.from({ length: n }, () => r());

/**
 * Products that read a weight transposed in each way a gradient graph can, and ones that must stay:
 * y1 = x·Vᵀ (perm [1, 0]); y2 = x·Vᵀ again through a Transpose without perm (reversed axes), which is
 * also a graph output; y3 = x3·U[b]ᵀ (rank 3, perm [0, 2, 1]); y4 = xᵀ·x (a Transpose of an input, not
 * a weight); y5 = x3·Transpose(S, [1, 0, 2]) (not a swap of the last two axes).
 */
function model(): ModelProto {
  const r = rng(3);
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'transposed',
      node: [
        transpose('t1', 'V', 'Vt1', [1, 0]),
        matmul('m1', 'x', 'Vt1', 'y1'),
        transpose('t2', 'V', 'Vt2'),
        matmul('m2', 'x', 'Vt2', 'y2'),
        transpose('t3', 'U', 'Ut', [0, 2, 1]),
        matmul('m3', 'x3', 'Ut', 'y3'),
        transpose('t4', 'x', 'xt', [1, 0]),
        matmul('m4', 'xt', 'x', 'y4'),
        transpose('t5', 'S', 'St', [1, 0, 2]),
        matmul('m5', 'x3', 'St', 'y5'),
      ],
      initializer: [makeTensor('V', DT.FLOAT, [N, K], values(r, N * K)), makeTensor('U', DT.FLOAT, [2, N, K], values(r, 2 * N * K)), makeTensor('S', DT.FLOAT, [K, 2, N], values(r, 2 * K * N))],
      input: [io('x', [M, K]), io('x3', [2, M, K])],
      output: [io('y1', [M, N]), io('y2', [M, N]), io('Vt2', [K, N]), io('y3', [2, M, N]), io('y4', [K, K]), io('y5', [2, M, N])],
    },
  };
}

async function run(m: ModelProto, feeds: Record<string, ort.Tensor>): Promise<Record<string, Float32Array>> {
  const s = await ort.InferenceSession.create(serializeModel(m), { graphOptimizationLevel: 'disabled' });
  const out = await s.run(feeds);
  await s.release();
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array]));
}

test('transposed weights: products of a last-two-axes Transpose of a float initializer become FusedMatMul(transB), with the same values; the rest stays', async () => {
  const before = model();
  const bytes = serializeModel(before);
  const { model: fused, fused: count } = fuseTransposedWeights(before);
  assert.deepEqual(serializeModel(before), bytes, 'the input model is not changed');
  assert.equal(count, 3, 'y1, y2 (perm absent: reversed axes) and y3 (rank 3)');
  const byName = new Map(fused.graph!.node!.map((n) => [n.name, n]));
  for (const name of ['m1', 'm2', 'm3']) {
    const n = byName.get(name)!;
    assert.equal(n.opType, 'FusedMatMul', name);
    assert.equal(n.domain, ORT_DOMAIN);
    assert.equal(Number(getAttr(n, 'transB')?.i), 1);
    assert.equal(n.input![1], name === 'm3' ? 'U' : 'V', `${name} reads the weight itself`);
  }
  for (const name of ['m4', 'm5']) assert.equal(byName.get(name)!.opType, 'MatMul', `${name}: an activation's Transpose, or not a last-two swap`);
  assert.deepEqual([...byName.keys()].filter((k) => k!.startsWith('t')).sort(), ['t2', 't4', 't5'], 't1 and t3 were read only by rewritten products; t2 is a graph output');
  assert.equal(fused.opsetImport!.filter((o) => o.domain === ORT_DOMAIN).length, 1);
  assert.equal(fuseTransposedWeights(fused).fused, 0, 'a second pass finds nothing');

  const r = rng(9);
  const feeds = { x: new ort.Tensor('float32', values(r, M * K), [M, K]), x3: new ort.Tensor('float32', values(r, 2 * M * K), [2, M, K]) };
  const [a, b] = [await run(before, feeds), await run(fused, feeds)];
  for (const out of ['y1', 'y2', 'Vt2', 'y3', 'y4', 'y5']) {
    assert.equal(b[out].length, a[out].length, out);
    for (let i = 0; i < a[out].length; i++) assert.ok(Math.abs(a[out][i] - b[out][i]) <= 1e-6 * (1 + Math.abs(a[out][i])), `${out}[${i}]: ${b[out][i]} vs ${a[out][i]}`);
  }
});

test('transposed weights: a float64 weight is left alone (onnxruntime has no float64 FusedMatMul on CPU), and a graph without any is returned as it is', () => {
  const r = rng(5);
  const m: ModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'double',
      node: [transpose('t', 'V', 'Vt', [1, 0]), matmul('m', 'x', 'Vt', 'y')],
      initializer: [makeTensor('V', DT.DOUBLE, [N, K], Array.from({ length: N * K }, () => r()))],
      input: [io('x', [M, K], DT.DOUBLE)],
      output: [io('y', [M, N], DT.DOUBLE)],
    },
  };
  const out = fuseTransposedWeights(m);
  assert.equal(out.fused, 0);
  assert.equal(out.model, m);
});

test('int8 after the lowering: a FusedMatMul(transB) weight is quantized as its Transpose was, with identical results; other FusedMatMul forms are left in float', async () => {
  const r = rng(11);
  const plain = model();
  const fused = fuseTransposedWeights(plain).model;
  const [qp, qf] = [quantizeMatMuls(plain, { weightBits: 8 }), quantizeMatMuls(fused, { weightBits: 8 })];
  // rank-2 weights only: y1 and y2 (the same V, stored once)
  assert.equal(qf.quantized, qp.quantized);
  assert.equal(qf.quantized, 2);
  assert.equal(qf.weights, qp.weights);
  assert.equal(qf.model.graph!.node!.filter((n) => n.opType === 'FusedMatMul').length, 1, 'the rank-3 product stays float');
  const feeds = { x: new ort.Tensor('float32', values(r, M * K), [M, K]), x3: new ort.Tensor('float32', values(r, 2 * M * K), [2, M, K]) };
  const [a, b] = [await run(qp.model, feeds), await run(qf.model, feeds)];
  for (const out of ['y1', 'y2']) assert.deepEqual(b[out], a[out], `${out}: the same integer product`);

  for (const attr of [makeAttr('alpha', { float: 2 }), makeAttr('transA', 1), makeAttr('transBatchB', 1)]) {
    const odd: ModelProto = { ...fused, graph: { ...fused.graph!, node: fused.graph!.node!.map((n) => (n.name === 'm1' ? { ...n, attribute: [...n.attribute!.filter((a) => a.name !== attr.name), attr] } : n)) } };
    assert.equal(quantizeMatMuls(odd, { weightBits: 8 }).quantized, 1, `a FusedMatMul with ${attr.name} is not a plain transposed product: only m2 is quantized`);
  }
  const noTransB: ModelProto = { ...fused, graph: { ...fused.graph!, node: fused.graph!.node!.map((n) => (n.name === 'm1' ? { ...n, attribute: [makeAttr('alpha', { float: 1 })] } : n)) } };
  assert.equal(quantizeMatMuls(noTransB, { weightBits: 8 }).quantized, 1, 'a FusedMatMul without transB reads its weight untransposed: not this form');
});

test('swapsLastTwo: the last two axes swapped and the others in place, at any rank; absent perm is reversed axes', () => {
  const cases: [number[] | null, number, boolean][] = [
    [null, 2, true], [[1, 0], 2, true], [[0, 2, 1], 3, true], [[0, 1, 3, 2], 4, true],
    [[0, 1], 2, false], [null, 3, false], [[1, 0, 2], 3, false], [[1, 0, 3, 2], 4, false], [[0, 2, 1], 4, false],
    // a scalar or a vector has nothing to swap; a perm of another length is not this one
    [null, 0, false], [[], 0, false], [[0], 1, false], [[1, 0, 0], 2, false], [[1, 0], 3, false],
  ];
  for (const [perm, rank, want] of cases) assert.equal(swapsLastTwo(perm, rank), want, `perm ${JSON.stringify(perm)} at rank ${rank}`);
});

test('transposed weights: only standard MatMuls of standard Transposes are rewritten; other readers, other domains and unrelated nodes stay as they were', () => {
  const r = rng(13);
  const m: ModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }, { domain: ORT_DOMAIN, version: 1 }],
    graph: {
      name: 'others',
      node: [
        transpose('t', 'V', 'Vt', [1, 0]),
        matmul('fused', 'x', 'Vt', 'y'),
        { opType: 'Add', name: 'add', input: ['Vt', 'Vt'], output: ['a'] },
        { ...matmul('foreign', 'x', 'Vt', 'z'), domain: 'com.example' },
        { ...transpose('tx', 'V', 'Vx', [1, 0]), domain: 'com.example' },
        matmul('viaForeign', 'x', 'Vx', 'u'),
        { opType: 'Identity', name: 'unread', input: ['x'], output: ['dead'] },
      ],
      initializer: [makeTensor('V', DT.FLOAT, [N, K], values(r, N * K))],
      input: [io('x', [M, K])],
      output: [io('y', [M, N]), io('a', [K, N]), io('z', [M, N]), io('u', [M, N])],
    },
  };
  const { model: out, fused } = fuseTransposedWeights(m);
  assert.equal(fused, 1);
  const ops = out.graph!.node!.map((n) => `${n.name}:${n.opType}`);
  assert.deepEqual(ops, ['t:Transpose', 'fused:FusedMatMul', 'add:Add', 'foreign:MatMul', 'tx:Transpose', 'viaForeign:MatMul', 'unread:Identity'], 'the Transpose still read by Add stays; nothing else changes');
  assert.deepEqual(out.opsetImport, m.opsetImport, 'com.microsoft already imported: not added again');
  const noGraph: ModelProto = { irVersion: 8, opsetImport: [{ domain: '', version: 17 }] };
  assert.deepEqual(fuseTransposedWeights(noGraph), { model: noGraph, fused: 0 });
});
