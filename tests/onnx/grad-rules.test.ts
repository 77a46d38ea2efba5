// Every gradient rule against central finite differences: float64 where onnxruntime runs the op (and its
// gradient ops) in double, float32 otherwise. The probe runs at batch 2; gradients are checked at batch 3
// (and 1), so dynamic batch and broadcasting are decided from actual shapes, not the probe's.
import { test } from 'node:test';
import { checkGradients, type OpCase } from './fd-harness';

const B = 'B' as const;
const f32 = { dtype: 'float32' as const };

const cases: [string, OpCase][] = [
  // matrix products
  ['MatMul [B,3,4]x[4,5] weight as initializer', { op: 'MatMul', inputs: [{ name: 'a', dims: [B, 3, 4] }, { name: 'w', dims: [4, 5], constant: true }] }],
  ['MatMul batched [B,2,3,4]x[B,2,4,2]', { op: 'MatMul', inputs: [{ name: 'a', dims: [B, 2, 3, 4] }, { name: 'b', dims: [B, 2, 4, 2] }] }],
  ['MatMul broadcast [B,1,3,4]x[2,4,2]', { op: 'MatMul', inputs: [{ name: 'a', dims: [B, 1, 3, 4] }, { name: 'b', dims: [2, 4, 2] }] }],
  ['MatMul vector x [B,4,3]', { op: 'MatMul', inputs: [{ name: 'a', dims: [4] }, { name: 'b', dims: [B, 4, 3] }] }],
  ['MatMul [B,3,4] x vector', { op: 'MatMul', inputs: [{ name: 'a', dims: [B, 3, 4] }, { name: 'b', dims: [4] }] }],
  ['MatMul 2-D [B,4]x[4,3]', { op: 'MatMul', inputs: [{ name: 'a', dims: [B, 4] }, { name: 'b', dims: [4, 3] }], batches: [2, 1, 3] }],
  ['Gemm plain with C [3]', { op: 'Gemm', inputs: [{ name: 'a', dims: [B, 4] }, { name: 'b', dims: [4, 3] }, { name: 'c', dims: [3] }], attrs: { alpha: { float: 0.7 }, beta: { float: 1.3 } } }],
  ['Gemm transA transB, scalar C', { op: 'Gemm', inputs: [{ name: 'a', dims: [4, 2] }, { name: 'b', dims: [3, 4] }, { name: 'c', dims: [1], constant: true }], attrs: { transA: 1, transB: 1 } }],
  ['Gemm transB only, C [B,3]', { op: 'Gemm', inputs: [{ name: 'a', dims: [B, 4] }, { name: 'b', dims: [3, 4] }, { name: 'c', dims: [B, 3] }], attrs: { transB: 1 } }],
  ['Gemm transA only', { op: 'Gemm', inputs: [{ name: 'a', dims: [4, 2] }, { name: 'b', dims: [4, 3] }], attrs: { transA: 1, alpha: { float: 2 } } }],
  // elementwise with broadcasting
  ['Add [B,3,4]+[4]', { op: 'Add', inputs: [{ name: 'a', dims: [B, 3, 4] }, { name: 'b', dims: [4] }] }],
  ['Add [B,1,4]+[3,1] (both sides broadcast)', { op: 'Add', inputs: [{ name: 'a', dims: [B, 1, 4] }, { name: 'b', dims: [3, 1] }] }],
  ['Sub [B,3,4]-[B,3,1]', { op: 'Sub', inputs: [{ name: 'a', dims: [B, 3, 4] }, { name: 'b', dims: [B, 3, 1] }] }],
  ['Sub [1,4]-[B,1] constant-free, batch 1 checked', { op: 'Sub', inputs: [{ name: 'a', dims: [1, 4] }, { name: 'b', dims: [B, 1] }], batches: [2, 1, 3] }],
  ['Mul [B,3,4]*[1,3,1] initializer', { op: 'Mul', inputs: [{ name: 'a', dims: [B, 3, 4] }, { name: 'b', dims: [1, 3, 1], constant: true }] }],
  ['Mul [B,3] * scalar', { op: 'Mul', inputs: [{ name: 'a', dims: [B, 3] }, { name: 'b', dims: [] }] }],
  ['Div [B,3,4]/[B,1,4]', { op: 'Div', inputs: [{ name: 'a', dims: [B, 3, 4] }, { name: 'b', dims: [B, 1, 4], positive: true }] }],
  ['Pow x^2 (constant exponent)', { op: 'Pow', inputs: [{ name: 'a', dims: [B, 3] }, { name: 'p', dims: [], constant: true, values: [2], wrt: false }] }],
  ['Pow x^y both variable, broadcast', { op: 'Pow', inputs: [{ name: 'a', dims: [B, 3], positive: true }, { name: 'p', dims: [3] }] }],
  ['Max [B,3] vs [3] (no ties)', { op: 'Max', inputs: [{ name: 'a', dims: [B, 3] }, { name: 'b', dims: [3] }] }],
  ['Min [B,3] vs [B,3]', { op: 'Min', inputs: [{ name: 'a', dims: [B, 3] }, { name: 'b', dims: [B, 3] }] }],
  ['Sum of three, broadcast', { op: 'Sum', inputs: [{ name: 'a', dims: [B, 3] }, { name: 'b', dims: [3] }, { name: 'c', dims: [B, 1] }] }],
  ['Where broadcast condition', { op: 'Where', inputs: [{ name: 'c', dims: [1, 4], bools: [1, 0, 0, 1] }, { name: 'x', dims: [B, 4] }, { name: 'y', dims: [4] }] }],
  // unary
  ['Neg', { op: 'Neg', inputs: [{ name: 'x', dims: [B, 3] }] }],
  ['Sqrt', { op: 'Sqrt', inputs: [{ name: 'x', dims: [B, 3], positive: true }] }],
  ['Reciprocal', { op: 'Reciprocal', inputs: [{ name: 'x', dims: [B, 3], awayFromZero: 0.5 }] }],
  ['Exp', { op: 'Exp', inputs: [{ name: 'x', dims: [B, 3] }] }],
  ['Log', { op: 'Log', inputs: [{ name: 'x', dims: [B, 3], positive: true }] }],
  ['Tanh', { op: 'Tanh', inputs: [{ name: 'x', dims: [B, 3] }] }],
  ['Sigmoid', { op: 'Sigmoid', inputs: [{ name: 'x', dims: [B, 3] }] }],
  ['Erf (float32)', { op: 'Erf', inputs: [{ name: 'x', dims: [B, 3] }], ...f32 }],
  ['Gelu exact (opset 20)', { op: 'Gelu', inputs: [{ name: 'x', dims: [B, 5] }], opset: 20, ...f32 }],
  ['Gelu tanh approximation (opset 20)', { op: 'Gelu', inputs: [{ name: 'x', dims: [B, 5] }], attrs: { approximate: 'tanh' }, opset: 20, ...f32 }],
  ['Relu', { op: 'Relu', inputs: [{ name: 'x', dims: [B, 4], awayFromZero: 0.1 }] }],
  ['Abs', { op: 'Abs', inputs: [{ name: 'x', dims: [B, 4], awayFromZero: 0.1 }] }],
  ['Identity', { op: 'Identity', inputs: [{ name: 'x', dims: [B, 3] }] }],
  ['Cast double -> float -> loss in float32', { op: 'Cast', inputs: [{ name: 'x', dims: [B, 3] }], attrs: { to: 1 }, ...f32 }],
  ['Softmax last axis', { op: 'Softmax', inputs: [{ name: 'x', dims: [B, 2, 5] }], attrs: { axis: -1 } }],
  ['Softmax axis 1', { op: 'Softmax', inputs: [{ name: 'x', dims: [B, 3, 2] }], attrs: { axis: 1 } }],
  ['LogSoftmax', { op: 'LogSoftmax', inputs: [{ name: 'x', dims: [B, 4] }] }],
  ['LayerNormalization last axis with scale and bias', { op: 'LayerNormalization', inputs: [{ name: 'x', dims: [B, 3, 5] }, { name: 's', dims: [5] }, { name: 'b', dims: [5] }], attrs: { axis: -1, epsilon: { float: 1e-5 } } }],
  ['LayerNormalization over two axes (axis 1)', { op: 'LayerNormalization', inputs: [{ name: 'x', dims: [B, 3, 4] }, { name: 's', dims: [3, 4] }, { name: 'b', dims: [3, 4], constant: true }], attrs: { axis: 1 } }],
  // reductions (attribute axes until opset 17 for Mean/L2, input axes for ReduceSum and from opset 18)
  ['ReduceMean axes attr keepdims (opset 14)', { op: 'ReduceMean', inputs: [{ name: 'x', dims: [B, 3, 4] }], attrs: { axes: [-1] }, opset: 14 }],
  ['ReduceMean axes attr no keepdims (opset 17)', { op: 'ReduceMean', inputs: [{ name: 'x', dims: [B, 3, 4] }], attrs: { axes: [0, 2], keepdims: 0 } }],
  ['ReduceMean axes input (opset 18)', { op: 'ReduceMean', inputs: [{ name: 'x', dims: [B, 3, 4] }, { name: 'ax', dims: [1], ints: [1], constant: true }], attrs: { keepdims: 0 }, opset: 18 }],
  ['ReduceMean all axes', { op: 'ReduceMean', inputs: [{ name: 'x', dims: [B, 3] }], attrs: { keepdims: 0 } }],
  ['ReduceSum axes input keepdims', { op: 'ReduceSum', inputs: [{ name: 'x', dims: [B, 3, 4] }, { name: 'ax', dims: [2], ints: [-1, 0], constant: true }] }],
  ['ReduceSum no axes, no keepdims', { op: 'ReduceSum', inputs: [{ name: 'x', dims: [B, 3] }], attrs: { keepdims: 0 } }],
  ['ReduceL2 axes attr no keepdims (opset 14)', { op: 'ReduceL2', inputs: [{ name: 'x', dims: [B, 3, 4] }], attrs: { axes: [1], keepdims: 0 }, opset: 14 }],
  ['ReduceL2 axes input (opset 18)', { op: 'ReduceL2', inputs: [{ name: 'x', dims: [B, 4] }, { name: 'ax', dims: [1], ints: [-1], constant: true }], opset: 18 }],
  // shape ops
  ['Transpose perm', { op: 'Transpose', inputs: [{ name: 'x', dims: [B, 3, 4] }], attrs: { perm: [2, 0, 1] } }],
  ['Transpose default (reverse)', { op: 'Transpose', inputs: [{ name: 'x', dims: [B, 3, 4] }] }],
  ['Reshape', { op: 'Reshape', inputs: [{ name: 'x', dims: [B, 3, 4] }, { name: 's', dims: [3], ints: [0, 2, -1], constant: true }] }],
  ['Flatten', { op: 'Flatten', inputs: [{ name: 'x', dims: [B, 3, 2] }], attrs: { axis: 2 } }],
  ['Squeeze axes input (opset 14)', { op: 'Squeeze', inputs: [{ name: 'x', dims: [B, 1, 3] }, { name: 'ax', dims: [1], ints: [1], constant: true }], opset: 14 }],
  ['Unsqueeze axes input (opset 14)', { op: 'Unsqueeze', inputs: [{ name: 'x', dims: [B, 3] }, { name: 'ax', dims: [2], ints: [0, -1], constant: true }], opset: 14 }],
  ['Concat axis 1 of three', { op: 'Concat', inputs: [{ name: 'a', dims: [B, 2, 3] }, { name: 'b', dims: [B, 1, 3] }, { name: 'c', dims: [B, 3, 3] }], attrs: { axis: 1 } }],
  ['Concat negative axis, one initializer', { op: 'Concat', inputs: [{ name: 'a', dims: [B, 2] }, { name: 'b', dims: [B, 3] }], attrs: { axis: -1 } }],
  ['Split with split input (opset 13+), one output unused', { op: 'Split', inputs: [{ name: 'x', dims: [B, 5] }, { name: 'sp', dims: [2], ints: [2, 3], constant: true }], attrs: { axis: 1 }, outputs: 2, lossOutputs: [1] }],
  ['Split num_outputs (opset 18)', { op: 'Split', inputs: [{ name: 'x', dims: [B, 6] }], attrs: { axis: -1, num_outputs: 3 }, outputs: 3, opset: 18 }],
  ['Slice steps and negative indices', { op: 'Slice', inputs: [{ name: 'x', dims: [B, 6, 4] }, { name: 'st', dims: [2], ints: [-1, 1], constant: true }, { name: 'en', dims: [2], ints: [-7, 4], constant: true }, { name: 'ax', dims: [2], ints: [1, 2], constant: true }, { name: 'sp', dims: [2], ints: [-2, 2], constant: true }], gradOps: { Pad: 0, ScatterElements: 1 } }],
  ['Slice of the batch axis', { op: 'Slice', inputs: [{ name: 'x', dims: [B, 3] }, { name: 'st', dims: [1], ints: [1], constant: true }, { name: 'en', dims: [1], ints: [1000], constant: true }], gradOps: { Pad: 1, ScatterElements: 0 } }],
  // constant selections take the zero-padding gradient (Pad), sizes read at run time
  ['Slice one row [0:1] of axis 1 (the pooled CLS row)', { op: 'Slice', inputs: [{ name: 'x', dims: [B, 5, 3] }, { name: 'st', dims: [1], ints: [0], constant: true }, { name: 'en', dims: [1], ints: [1], constant: true }, { name: 'ax', dims: [1], ints: [1], constant: true }], gradOps: { Pad: 1, ScatterElements: 0 } }],
  ['Slice the last row [-1:INT64_MAX] of axis 1', { op: 'Slice', inputs: [{ name: 'x', dims: [B, 5, 3] }, { name: 'st', dims: [1], ints: [-1], constant: true }, { name: 'en', dims: [1], ints: [Number.MAX_SAFE_INTEGER], constant: true }, { name: 'ax', dims: [1], ints: [-2], constant: true }], gradOps: { Pad: 1, ScatterElements: 0 } }],
  ['Slice the batch axis from its end (extent known at run time only)', { op: 'Slice', inputs: [{ name: 'x', dims: [B, 3] }, { name: 'st', dims: [1], ints: [-2], constant: true }, { name: 'en', dims: [1], ints: [1000], constant: true }, { name: 'ax', dims: [1], ints: [0], constant: true }], batches: [2, 3, 4], gradOps: { Pad: 1, ScatterElements: 0 } }],
  ['Slice two axes, an end past the extent (clamped) and negative bounds', { op: 'Slice', inputs: [{ name: 'x', dims: [B, 4, 6, 2] }, { name: 'st', dims: [2], ints: [1, -4], constant: true }, { name: 'en', dims: [2], ints: [100, -1], constant: true }, { name: 'ax', dims: [2], ints: [1, 2], constant: true }], gradOps: { Pad: 1, ScatterElements: 0 } }],
  ['Slice without axes input, unit steps given', { op: 'Slice', inputs: [{ name: 'x', dims: [B, 4] }, { name: 'st', dims: [2], ints: [0, 1], constant: true }, { name: 'en', dims: [2], ints: [1, 3], constant: true }, { name: 'ax', dims: [2], ints: [0, 1], constant: true }, { name: 'sp', dims: [2], ints: [1, 1], constant: true }], gradOps: { Pad: 1, ScatterElements: 0 } }],
  ['Slice with starts fed at run time', { op: 'Slice', inputs: [{ name: 'x', dims: [B, 4] }, { name: 'st', dims: [1], ints: [1] }, { name: 'en', dims: [1], ints: [3], constant: true }, { name: 'ax', dims: [1], ints: [1], constant: true }], gradOps: { Pad: 0, ScatterElements: 1 } }],
  ['Gather scalar -1 on axis 1 (last-position pooling)', { op: 'Gather', inputs: [{ name: 'x', dims: [B, 4, 3] }, { name: 'i', dims: [], ints: [-1], constant: true }], attrs: { axis: 1 }, gradOps: { Pad: 1, ScatterElements: 0 } }],
  ['Gather scalar -1 on the batch axis (extent known at run time only)', { op: 'Gather', inputs: [{ name: 'x', dims: [B, 3] }, { name: 'i', dims: [], ints: [-1], constant: true }], attrs: { axis: 0 }, batches: [2, 3, 4], gradOps: { Pad: 1, ScatterElements: 0 } }],
  ['Gather axis 0 with repeated indices', { op: 'Gather', inputs: [{ name: 'x', dims: [5, 3] }, { name: 'i', dims: [B, 2], ints: [0, 4, 4, 1, 0, 0] }], gradOps: { Pad: 0, ScatterElements: 1 } }],
  ['Gather scalar index on axis 1 (CLS pooling)', { op: 'Gather', inputs: [{ name: 'x', dims: [B, 4, 3] }, { name: 'i', dims: [], ints: [0], constant: true }], attrs: { axis: 1 }, gradOps: { Pad: 1, ScatterElements: 0 } }],
  ['Gather scalar index fed at run time', { op: 'Gather', inputs: [{ name: 'x', dims: [B, 4, 3] }, { name: 'i', dims: [], ints: [2] }], attrs: { axis: 1 }, gradOps: { Pad: 0, ScatterElements: 1 } }],
  ['Gather negative index', { op: 'Gather', inputs: [{ name: 'x', dims: [B, 4] }, { name: 'i', dims: [2], ints: [-1, 1], constant: true }], attrs: { axis: -1 }, gradOps: { Pad: 0, ScatterElements: 1 } }],
  ['GatherElements', { op: 'GatherElements', inputs: [{ name: 'x', dims: [3, 4] }, { name: 'i', dims: [2, 4], ints: [0, 1, 2, 0, 2, 2, 1, 0], constant: true }], attrs: { axis: 0 }, gradOps: { Pad: 0, ScatterElements: 1 } }],
  ['Expand [3,1] -> [B,3,4]', { op: 'Expand', inputs: [{ name: 'x', dims: [3, 1] }, { name: 's', dims: [3], ints: [2, 3, 4], constant: true }], batches: [2, 2] }],
  ['Expand keeps the batch [B,1,2] -> [B,3,2]', { op: 'Expand', inputs: [{ name: 'x', dims: [B, 1, 2] }, { name: 's', dims: [3], ints: [1, 3, 2], constant: true }] }],
  ['Clip', { op: 'Clip', inputs: [{ name: 'x', dims: [B, 5], values: [-0.9, -0.3, 0.05, 0.4, 0.85] }, { name: 'lo', dims: [], constant: true, values: [-0.5], wrt: false }, { name: 'hi', dims: [], constant: true, values: [0.5], wrt: false }] }],
  // convolution (onnxruntime runs Conv/ConvTranspose in float32 only)
  ['Conv patch embedding (stride = kernel, no bias)', { op: 'Conv', inputs: [{ name: 'x', dims: [B, 2, 4, 4] }, { name: 'w', dims: [3, 2, 2, 2] }], attrs: { strides: [2, 2], kernel_shape: [2, 2] }, ...f32 }],
  ['Conv stride 2, pad 1, bias, odd size', { op: 'Conv', inputs: [{ name: 'x', dims: [B, 2, 5, 5] }, { name: 'w', dims: [2, 2, 3, 3] }, { name: 'b', dims: [2] }], attrs: { strides: [2, 2], pads: [1, 1, 1, 1] }, ...f32 }],
  ['Conv dilation 2, asymmetric pads', { op: 'Conv', inputs: [{ name: 'x', dims: [B, 1, 5, 5] }, { name: 'w', dims: [2, 1, 2, 2] }], attrs: { dilations: [2, 2], pads: [1, 0, 0, 1] }, ...f32 }],
  ['Conv stride 2, SAME_UPPER', { op: 'Conv', inputs: [{ name: 'x', dims: [B, 1, 5, 4] }, { name: 'w', dims: [2, 1, 3, 3] }], attrs: { strides: [2, 2], auto_pad: 'SAME_UPPER' }, ...f32 }],
  ['Conv 1-D', { op: 'Conv', inputs: [{ name: 'x', dims: [B, 2, 7] }, { name: 'w', dims: [3, 2, 3] }, { name: 'b', dims: [3] }], attrs: { strides: [2] }, ...f32 }],
  ['Conv grouped (input side only)', { op: 'Conv', inputs: [{ name: 'x', dims: [B, 4, 3, 3] }, { name: 'w', dims: [4, 2, 2, 2], constant: true, wrt: false }], attrs: { group: 2 }, ...f32 }],
  // CNN towers (open_clip ModifiedResNet): inference BatchNorm, pooling
  ['BatchNormalization (inference), all five inputs', { op: 'BatchNormalization', inputs: [{ name: 'x', dims: [B, 3, 2, 2] }, { name: 's', dims: [3] }, { name: 'b', dims: [3] }, { name: 'm', dims: [3] }, { name: 'v', dims: [3], positive: true }], attrs: { epsilon: { float: 1e-3 } } }],
  ['AveragePool 2x2 stride 2', { op: 'AveragePool', inputs: [{ name: 'x', dims: [B, 2, 4, 4] }], attrs: { kernel_shape: [2, 2], strides: [2, 2] }, ...f32 }],
  ['AveragePool 3x3 pad 1 excluding padding', { op: 'AveragePool', inputs: [{ name: 'x', dims: [B, 2, 5, 5] }], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, ...f32 }],
  ['AveragePool 3x3 pad 1 including padding', { op: 'AveragePool', inputs: [{ name: 'x', dims: [B, 1, 4, 4] }], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: 1 }, ...f32 }],
  ['GlobalAveragePool', { op: 'GlobalAveragePool', inputs: [{ name: 'x', dims: [B, 3, 2, 3] }], ...f32 }],
  ['MaxPool 2x2 stride 2 (distinct values)', { op: 'MaxPool', inputs: [{ name: 'x', dims: [B, 2, 4, 4], values: Array.from({ length: 96 }, (_, i) => ((i * 37) % 96) / 48 - 1) }], attrs: { kernel_shape: [2, 2], strides: [2, 2] }, fdStep: 1e-3, ...f32 }],
  ['MaxPool overlapping windows with padding', { op: 'MaxPool', inputs: [{ name: 'x', dims: [B, 1, 5, 5], values: Array.from({ length: 75 }, (_, i) => ((i * 29) % 75) / 37.5 - 1) }], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, fdStep: 1e-3, ...f32 }],
  ['Sin', { op: 'Sin', inputs: [{ name: 'x', dims: [B, 3] }] }],
  ['Cos', { op: 'Cos', inputs: [{ name: 'x', dims: [B, 3] }] }],
  ['LeakyRelu', { op: 'LeakyRelu', inputs: [{ name: 'x', dims: [B, 4], awayFromZero: 0.1 }], attrs: { alpha: { float: 0.2 } } }],
  ['Softplus', { op: 'Softplus', inputs: [{ name: 'x', dims: [B, 3] }], ...f32 }],
  ['Tile', { op: 'Tile', inputs: [{ name: 'x', dims: [2, 3] }, { name: 'r', dims: [2], ints: [3, 2], constant: true }] }],
  ['Tile of the batch axis (sizes read at run time)', { op: 'Tile', inputs: [{ name: 'x', dims: [B, 2] }, { name: 'r', dims: [2], ints: [2, 3], constant: true }] }],
  ['Mean of two, broadcast', { op: 'Mean', inputs: [{ name: 'a', dims: [B, 3] }, { name: 'b', dims: [3] }], ...f32 }],
];

for (const [name, c] of cases) {
  test(name, async () => {
    await checkGradients(c);
  });
}
