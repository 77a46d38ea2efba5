// Every op with a gradient rule has a finite-difference case (here or in grad-rules.test.ts), and
// the rules that had none: Dropout (inference), ReduceSumSquare, GatherND.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RULES } from '../../native-models/onnx/gradient-rules';
import { checkGradients, type OpCase } from './fd-harness';

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
];

for (const [name, c] of cases) {
  test(name, async () => {
    await checkGradients(c);
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
