// The pooling heads that follow NIB's cut in the model families, each as a float64 graph in the ops a
// torch 1.13 export uses, differentiated by the engine (autodiff + gradient-rules.ts) with respect to
// the hidden state [batch, tokens, width] and checked against central finite differences: CLS pooling
// (CLIP / ViT / BERT), last-position pooling (SigLIP text), EOS-argmax pooling (CLIP text) and a
// SigLIP-style attention-pooling head (a learned probe, multi-head attention, LayerNorm, MLP). The
// gradient is built from a batch-2 probe and checked at batch 3; the pooled-row selections take the
// zero-padding gradient with sizes read at run time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../../native-models/onnx/builder';
import type { GraphProto, ModelProto } from '../../native-models/onnx/model';
import { DT } from '../../native-models/onnx/tensors';
import { checkGraphGradient } from './fd-harness';

const T = 5;
const D = 8;
const H = 2;
const E = 6;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

interface Head {
  b: GraphBuilder;
  weight: (dims: number[], scale?: number) => string;
}

/** A graph with input x [B, T, D] (float64); `head` returns the pooled embedding [B, E]; loss = Σ w ⊙ embedding. */
function headModel(name: string, head: (h: Head, x: string) => string, extraInputs: GraphProto['input'] = []): ModelProto {
  const graph: GraphProto = { name, node: [], initializer: [], input: [], output: [] };
  const b = new GraphBuilder(graph, 'h/');
  const rand = rng(name.length * 977);
  const weight = (dims: number[], scale = 0.6): string => b.constant(DT.DOUBLE, dims, Array.from({ length: dims.reduce((p, q) => p * q, 1) }, () => rand() * 2 * scale));
  const emb = head({ b, weight }, 'x');
  const loss = b.op1('ReduceSum', [b.op1('Mul', [emb, 'w'])], { keepdims: 0 });
  b.op('Identity', [loss], {}, ['loss']);
  graph.input = [
    { name: 'x', type: { tensorType: { elemType: DT.DOUBLE, shape: { dim: [{ dimParam: 'B' }, { dimValue: T }, { dimValue: D }] } } } },
    { name: 'w', type: { tensorType: { elemType: DT.DOUBLE } } },
    ...(extraInputs ?? []),
  ];
  graph.output = [{ name: 'loss', type: { tensorType: { elemType: DT.DOUBLE, shape: { dim: [] } } } }];
  return { irVersion: 8, opsetImport: [{ domain: '', version: 14 }], graph };
}

/** LayerNorm over the last axis as torch 1.13 exports it at opset 14 (no LayerNormalization op). */
function layerNorm(h: Head, x: string, width: number): string {
  const { b } = h;
  const d = b.op1('Sub', [x, b.op1('ReduceMean', [x], { axes: [-1] })]);
  const v = b.op1('ReduceMean', [b.op1('Pow', [d, b.scalar(DT.DOUBLE, 2)])], { axes: [-1] });
  const n = b.op1('Div', [d, b.op1('Sqrt', [b.op1('Add', [v, b.scalar(DT.DOUBLE, 1e-6)])])]);
  return b.op1('Add', [b.op1('Mul', [n, h.weight([width], 1)]), h.weight([width], 0.2)]);
}

/** GELU, tanh approximation (SigLIP's gelu_pytorch_tanh), in elementwise ops. */
function geluTanh(h: Head, x: string): string {
  const { b } = h;
  const k = (v: number): string => b.scalar(DT.DOUBLE, v);
  const inner = b.op1('Mul', [k(Math.sqrt(2 / Math.PI)), b.op1('Add', [x, b.op1('Mul', [k(0.044715), b.op1('Mul', [x, b.op1('Mul', [x, x])])])])]);
  return b.op1('Mul', [b.op1('Mul', [k(0.5), x]), b.op1('Add', [k(1), b.op1('Tanh', [inner])])]);
}

function feeds(extra?: (batch: number) => Record<string, ort.Tensor>): (batch: number) => Record<string, ort.Tensor> {
  return (batch) => {
    const r = rng(batch * 31 + 7);
    return {
      x: new ort.Tensor('float64', Float64Array.from({ length: batch * T * D }, () => 2 * r()), [batch, T, D]),
      w: new ort.Tensor('float64', Float64Array.from({ length: batch * E }, () => 2 * r()), [batch, E]),
      ...(extra?.(batch) ?? {}),
    };
  };
}

test('CLS pooling: LayerNorm on every token, token 0, projection', async () => {
  const model = headModel('cls', (h, x) => h.b.op1('MatMul', [h.b.op1('Gather', [layerNorm(h, x, D), h.b.scalar(DT.INT64, 0)], { axis: 1 }), h.weight([D, E])]));
  assert.ok((await checkGraphGradient(model, 'x', feeds())) <= 1e-6);
});

test('last-position pooling (SigLIP text): LayerNorm, token -1, Linear with bias (Gemm)', async () => {
  const model = headModel('last', (h, x) => h.b.op1('Gemm', [h.b.op1('Gather', [layerNorm(h, x, D), h.b.scalar(DT.INT64, -1)], { axis: 1 }), h.weight([E, D]), h.weight([E], 0.1)], { transB: 1 }));
  assert.ok((await checkGraphGradient(model, 'x', feeds())) <= 1e-6);
});

test('EOS-argmax pooling (CLIP text): the row at argmax(input_ids) of the flattened batch', async () => {
  const ids = { name: 'ids', type: { tensorType: { elemType: DT.INT64, shape: { dim: [{ dimParam: 'B' }, { dimValue: T }] } } } };
  const model = headModel('eos', (h, x) => {
    const { b } = h;
    const shape = b.op1('Shape', [x]);
    const batch = b.op1('Gather', [shape, b.scalar(DT.INT64, 0)], { axis: 0 });
    const tokens = b.op1('Gather', [shape, b.scalar(DT.INT64, 1)], { axis: 0 });
    const rows = b.op1('Add', [b.op1('ArgMax', ['ids'], { axis: -1, keepdims: 0 }), b.op1('Mul', [b.op1('Range', [b.scalar(DT.INT64, 0), batch, b.scalar(DT.INT64, 1)]), tokens])]);
    return b.op1('MatMul', [b.op1('Gather', [b.op1('Flatten', [layerNorm(h, x, D)], { axis: 2 }), rows], { axis: 0 }), h.weight([D, E])]);
  }, [ids]);
  // Distinct ids per row, the highest (the EOS) at a different position in each.
  const extra = (batch: number): Record<string, ort.Tensor> => ({
    ids: new ort.Tensor('int64', BigInt64Array.from({ length: batch * T }, (_, i) => BigInt(i % T === (Math.floor(i / T) + 2) % T ? 99 : i % T)), [batch, T]),
  });
  assert.ok((await checkGraphGradient(model, 'x', feeds(extra))) <= 1e-6);
});

test('attention-pooling head (SigLIP MAP): learned probe, multi-head attention over every token, LayerNorm, MLP residual', async () => {
  const model = headModel('map', (h, x) => {
    const { b } = h;
    const hd = D / H;
    const batch = b.op1('Slice', [b.op1('Shape', [x]), b.ints([0]), b.ints([1])]);
    const probe = b.op1('Expand', [h.weight([1, 1, D]), b.op1('Concat', [batch, b.ints([1, D])], { axis: 0 })]);
    const proj = (t: string): string => b.op1('Add', [b.op1('MatMul', [t, h.weight([D, D])]), h.weight([D], 0.1)]);
    const heads = (t: string, perm: number[]): string => b.op1('Transpose', [b.op1('Reshape', [t, b.ints([0, -1, H, hd])])], { perm });
    const q = heads(proj(probe), [0, 2, 1, 3]);
    const kT = heads(proj(x), [0, 2, 3, 1]);
    const v = heads(proj(x), [0, 2, 1, 3]);
    const p = b.op1('Softmax', [b.op1('Mul', [b.op1('MatMul', [q, kT]), b.scalar(DT.DOUBLE, hd ** -0.5)])], { axis: -1 });
    const ctx = b.op1('Reshape', [b.op1('Transpose', [b.op1('MatMul', [p, v])], { perm: [0, 2, 1, 3] }), b.ints([0, 1, D])]);
    const pooled = proj(ctx);
    const mlp = b.op1('MatMul', [geluTanh(h, b.op1('MatMul', [layerNorm(h, pooled, D), h.weight([D, 2 * D])])), h.weight([2 * D, D])]);
    const out = b.op1('Gather', [b.op1('Add', [pooled, mlp]), b.scalar(DT.INT64, 0)], { axis: 1 });
    return b.op1('MatMul', [out, h.weight([D, E])]);
  });
  assert.ok((await checkGraphGradient(model, 'x', feeds())) <= 1e-6);
});
