// Every op with a gradient rule has a finite-difference case (here or in grad-rules.test.ts), and
// the rules that had none: Dropout (inference), ReduceSumSquare, GatherND; auto_pad geometry, rules asked for some
// inputs only (gradOps: the others are not emitted), constant exponents, and what is refused by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RULES } from '../../native-models/onnx/gradient-rules';
import { checkGradients, checkRefused, type OpCase } from './fd-harness';

const f32 = { dtype: 'float32' as const };

const B = 'B' as const;

const cases: [string, OpCase][] = [
  ['Dropout (inference: identity)', { op: 'Dropout', inputs: [{ name: 'x', dims: [B, 4] }], opset: 13 }],
  ['Dropout with ratio and training_mode = false, mask output unused', {
    op: 'Dropout',
    inputs: [{ name: 'x', dims: [B, 3] }, { name: 'r', dims: [], constant: true, values: [0.3], wrt: false }, { name: 't', dims: [], constant: true, bools: [0] }],
    outputs: 2, lossOutputs: [0], opset: 13,
  }],
  ['ReduceSumSquare axes attr keepdims (opset 13)', { op: 'ReduceSumSquare', inputs: [{ name: 'x', dims: [B, 3, 4] }], attrs: { axes: [1] }, opset: 13 }],
  ['ReduceSumSquare axes input, no keepdims (opset 18)', { op: 'ReduceSumSquare', inputs: [{ name: 'x', dims: [B, 3, 4] }, { name: 'ax', dims: [2], ints: [0, -1], constant: true }], attrs: { keepdims: 0 }, opset: 18 }],
  ['ReduceSumSquare all axes', { op: 'ReduceSumSquare', inputs: [{ name: 'x', dims: [B, 3] }], attrs: { keepdims: 0 } }],
  // Row 3 repeats row 1's index: its gradient is the sum of both.
  ['GatherND points, a repeated index', { op: 'GatherND', inputs: [{ name: 'x', dims: [3, 4] }, { name: 'i', dims: [B, 2], ints: [0, 1, 2, 3, 0, 1] }] }],
  ['GatherND rows with batch_dims 1', { op: 'GatherND', inputs: [{ name: 'x', dims: [B, 3, 4] }, { name: 'i', dims: [B, 2, 1], ints: [2, 0, 1, 1, 0, 2] }], attrs: { batch_dims: 1 } }],
  // auto_pad geometry (pads decided from the probe's shapes)
  ['AveragePool 3x3 stride 2, SAME_UPPER', { op: 'AveragePool', inputs: [{ name: 'x', dims: [B, 1, 5, 4] }], attrs: { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }, ...f32 }],
  ['AveragePool 2x2 stride 1, SAME_LOWER counting the padding', { op: 'AveragePool', inputs: [{ name: 'x', dims: [B, 1, 4, 3] }], attrs: { kernel_shape: [2, 2], auto_pad: 'SAME_LOWER', count_include_pad: 1 }, ...f32 }],
  ['AveragePool 2x2 stride 2, VALID (pads attribute ignored)', { op: 'AveragePool', inputs: [{ name: 'x', dims: [B, 2, 5, 5] }], attrs: { kernel_shape: [2, 2], strides: [2, 2], auto_pad: 'VALID' }, ...f32 }],
  ['AveragePool 2x2 dilation 2 (opset 19)', { op: 'AveragePool', inputs: [{ name: 'x', dims: [B, 1, 5, 5] }], attrs: { kernel_shape: [2, 2], dilations: [2, 2] }, opset: 19, ...f32 }],
  ['Conv 2x2, SAME_LOWER', { op: 'Conv', inputs: [{ name: 'x', dims: [B, 1, 4, 5] }, { name: 'w', dims: [2, 1, 2, 2] }], attrs: { auto_pad: 'SAME_LOWER' }, ...f32 }],
  ['Conv 3x3 stride 2, VALID, input side only', { op: 'Conv', inputs: [{ name: 'x', dims: [B, 1, 5, 5] }, { name: 'w', dims: [2, 1, 3, 3], constant: true, wrt: false }, { name: 'b', dims: [2], constant: true, wrt: false }], attrs: { strides: [2, 2], auto_pad: 'VALID' }, gradOps: { ConvTranspose: 1, Conv: 1, ReduceSum: 1 }, ...f32 }],
  // only some inputs differentiated: the other gradients are not emitted
  ['LayerNormalization, scale and bias only', { op: 'LayerNormalization', inputs: [{ name: 'x', dims: [B, 4], wrt: false }, { name: 's', dims: [4] }, { name: 'b', dims: [4] }], gradOps: { Sub: 1 } }],
  ['BatchNormalization, input side only', { op: 'BatchNormalization', inputs: [{ name: 'x', dims: [B, 2, 3] }, ...['s', 'b', 'm'].map((name) => ({ name, dims: [2], constant: true, wrt: false })), { name: 'v', dims: [2], constant: true, wrt: false, positive: true }], gradOps: { ReduceSum: 1, Neg: 0 } }],
  ['Gemm, C only (beta 1)', { op: 'Gemm', inputs: [{ name: 'a', dims: [2, 3], constant: true, wrt: false }, { name: 'b', dims: [3, 2], constant: true, wrt: false }, { name: 'c', dims: [2] }], gradOps: { Gemm: 1, Mul: 2 } }],
  ['MatMul with a weight initializer: one gradient MatMul', { op: 'MatMul', inputs: [{ name: 'a', dims: [B, 4] }, { name: 'w', dims: [4, 2], constant: true, wrt: false }], gradOps: { MatMul: 2 } }],
  // exponents read from constants: x² and x¹ without a second Pow; an integer exponent is cast
  ['Pow x^2 without a second Pow', { op: 'Pow', inputs: [{ name: 'a', dims: [B, 3] }, { name: 'p', dims: [], constant: true, values: [2], wrt: false }], gradOps: { Pow: 1 } }],
  ['Pow x^1 (constant exponent)', { op: 'Pow', inputs: [{ name: 'a', dims: [B, 3] }, { name: 'p', dims: [1], constant: true, values: [1], wrt: false }], gradOps: { Pow: 1 } }],
  ['Pow x^3 with an int64 exponent', { op: 'Pow', inputs: [{ name: 'a', dims: [B, 3] }, { name: 'p', dims: [], constant: true, ints: [3] }], gradOps: { Pow: 2, Cast: 1 } }],
  // one input (Max, Sum) and Clip without one or both bounds
  ['Max of one input', { op: 'Max', inputs: [{ name: 'a', dims: [B, 3] }] }],
  ['Clip with a maximum only', { op: 'Clip', inputs: [{ name: 'x', dims: [B, 5], values: [-0.9, -0.3, 0.05, 0.4, 0.85] }, { name: '', dims: [] }, { name: 'hi', dims: [], constant: true, values: [0.5], wrt: false }], gradOps: { Where: 1, GreaterOrEqual: 0 } }],
  ['Clip without bounds (identity)', { op: 'Clip', inputs: [{ name: 'x', dims: [B, 3] }], gradOps: { Where: 0 } }],
  // attributes at their defaults and set otherwise
  ['ReduceSum noop_with_empty_axes without axes (identity)', { op: 'ReduceSum', inputs: [{ name: 'x', dims: [B, 3] }], attrs: { noop_with_empty_axes: 1 } }],
  ['ReduceSum with an empty axes input (every axis)', { op: 'ReduceSum', inputs: [{ name: 'x', dims: [B, 3] }, { name: 'ax', dims: [0], ints: [], constant: true }], attrs: { keepdims: 0 } }],
  ['Softmax default axis (the last) of rank 3', { op: 'Softmax', inputs: [{ name: 'x', dims: [B, 2, 3] }] }],
  ['LogSoftmax default axis (the last) of rank 3', { op: 'LogSoftmax', inputs: [{ name: 'x', dims: [B, 2, 3] }] }],
  ['LogSoftmax axis 1 of rank 3', { op: 'LogSoftmax', inputs: [{ name: 'x', dims: [B, 3, 2] }], attrs: { axis: 1 } }],
  ['LayerNormalization default axis, epsilon 0.1, no bias, input only', { op: 'LayerNormalization', inputs: [{ name: 'x', dims: [B, 2, 3] }, { name: 's', dims: [3], constant: true, wrt: false }], attrs: { epsilon: { float: 0.1 } } }],
  ['LayerNormalization input only, bias given', { op: 'LayerNormalization', inputs: [{ name: 'x', dims: [B, 3] }, { name: 's', dims: [3], constant: true, wrt: false }, { name: 'b', dims: [3], constant: true, wrt: false }], gradOps: { ReduceSum: 6 } }],
  ['Conv stride 2 on an even size (output padding)', { op: 'Conv', inputs: [{ name: 'x', dims: [B, 1, 6, 6] }, { name: 'w', dims: [2, 1, 3, 3] }], attrs: { strides: [2, 2], pads: [1, 1, 1, 1] }, ...f32 }],
  ['Conv 1-D with a bias, weight and bias only', { op: 'Conv', inputs: [{ name: 'x', dims: [B, 2, 6], wrt: false }, { name: 'w', dims: [3, 2, 2] }, { name: 'b', dims: [3] }], attrs: { strides: [2] }, ...f32 }],
  ['BatchNormalization of [B, 3] (rank 2), all five inputs', { op: 'BatchNormalization', inputs: [{ name: 'x', dims: [B, 3] }, ...['s', 'b', 'm'].map((name) => ({ name, dims: [3] })), { name: 'v', dims: [3], positive: true }] }],
  ['BatchNormalization of [B, 2, 3] (rank 3), all five inputs', { op: 'BatchNormalization', inputs: [{ name: 'x', dims: [B, 2, 3] }, ...['s', 'b', 'm'].map((name) => ({ name, dims: [2] })), { name: 'v', dims: [2], positive: true }] }],
  ['Div, the divisor only', { op: 'Div', inputs: [{ name: 'a', dims: [3], constant: true, wrt: false }, { name: 'b', dims: [B, 3], positive: true }] }],
  ['Conv 1-D whose last input column is unused (weight gradient cropped)', { op: 'Conv', inputs: [{ name: 'x', dims: [B, 3, 7] }, { name: 'w', dims: [2, 3, 2] }], attrs: { strides: [2] }, ...f32 }],
  ['MatMul, the weight side only', { op: 'MatMul', inputs: [{ name: 'a', dims: [3, 4], constant: true, wrt: false }, { name: 'b', dims: [4, 2] }], gradOps: { MatMul: 2 } }],
  ['MatMul vector x matrix', { op: 'MatMul', inputs: [{ name: 'a', dims: [4] }, { name: 'b', dims: [4, 3] }] }],
  ['Pow, the exponent only', { op: 'Pow', inputs: [{ name: 'a', dims: [3], constant: true, wrt: false, positive: true }, { name: 'p', dims: [B, 3] }], gradOps: { Pow: 1 } }],
  ['MaxPool with its indices output (no second MaxPool)', { op: 'MaxPool', inputs: [{ name: 'x', dims: [B, 1, 4, 4], values: Array.from({ length: 48 }, (_, i) => ((i * 29) % 48) / 24 - 1) }], attrs: { kernel_shape: [2, 2], strides: [2, 2] }, outputs: 2, lossOutputs: [0], fdStep: 1e-3, gradOps: { MaxPool: 1 }, ...f32 }],
  // exact and tanh Gelu differ by up to 9e-4 in slope near |x| = 2: a tighter tolerance tells them apart
  ['Gelu exact near |x| = 2', { op: 'Gelu', inputs: [{ name: 'x', dims: [B, 4], values: [-2.1, -1.9, 1.9, 2.1] }], opset: 20, tol: 2e-4, ...f32 }],
  ['Gelu tanh near |x| = 2', { op: 'Gelu', inputs: [{ name: 'x', dims: [B, 4], values: [-2.1, -1.9, 1.9, 2.1] }], attrs: { approximate: 'tanh' }, opset: 20, tol: 2e-4, ...f32 }],
];

for (const [name, c] of cases) {
  test(name, async () => {
    await checkGradients(c);
  });
}

const refused: [string, OpCase, RegExp][] = [
  ['ReduceSum axes fed at run time', { op: 'ReduceSum', inputs: [{ name: 'x', dims: [B, 3] }, { name: 'ax', dims: [1], ints: [1] }] }, /reduction axes \("ax"\) must be a constant/],
  ['Max of three inputs', { op: 'Max', inputs: ['a', 'b', 'c'].map((name) => ({ name, dims: [B, 2] })) }, /gradient of Max with 3 inputs is not supported/],
  ['the weight of a grouped Conv', { op: 'Conv', inputs: [{ name: 'x', dims: [B, 4, 3, 3] }, { name: 'w', dims: [4, 2, 2, 2] }], attrs: { group: 2 }, ...f32 }, /weight gradient of a grouped Conv \(group=2\)/],
  ['BatchNormalization in training mode', { op: 'BatchNormalization', inputs: [{ name: 'x', dims: [B, 2, 3] }, ...['s', 'b', 'm', 'v'].map((name) => ({ name, dims: [2], constant: true, wrt: false, positive: true }))], attrs: { training_mode: 1 }, outputs: 3, lossOutputs: [0], opset: 15 }, /training mode is not supported/],
  ['AveragePool whose ceil_mode adds a position', { op: 'AveragePool', inputs: [{ name: 'x', dims: [B, 1, 5, 5] }], attrs: { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }, ...f32 }, /ceil_mode that adds an output position/],
  ['MaxPool with column-major indices', { op: 'MaxPool', inputs: [{ name: 'x', dims: [B, 1, 4, 4] }], attrs: { kernel_shape: [2, 2], strides: [2, 2], storage_order: 1 }, ...f32 }, /column-major storage_order/],
];

for (const [name, c, why] of refused) {
  test(`refused: ${name}`, async () => {
    await checkRefused(c, why);
  });
}

test('every op with a gradient rule has a finite-difference case', () => {
  const dir = fileURLToPath(new URL('.', import.meta.url));
  const tested = new Set<string>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.test.ts'))) {
    for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/\bop: '(\w+)'/g)) tested.add(m[1]!);
  }
  assert.ok(tested.size > 50, `found ${tested.size} ops in the cases`);
  assert.deepEqual(Object.keys(RULES).filter((op) => !tested.has(op)), []);
});
