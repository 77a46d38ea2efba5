// buildGradientModel on small hand-made graphs: which tensors get gradients (activity through
// non-differentiable ops and integer casts), Constant nodes read as constants, the seed of a per-item
// objective, and what the emitted model declares. Gradients are checked against finite differences
// (checkGraphGradient) or values derived by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { OnnxError, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from '../../native-models/onnx/model';
import { GraphBuilder } from '../../native-models/onnx/builder';
import { DT, makeTensor, type AttrValue } from '../../native-models/onnx/tensors';
import { buildGradientModel } from '../../native-models/onnx/autodiff';
import { checkGraphGradient, countOps, runModel } from './fd-harness';

const f64 = (name: string, dims: (number | 'B')[] = ['B', 3]): ValueInfoProto => ({
  name,
  type: { tensorType: { elemType: DT.DOUBLE, shape: { dim: dims.map((d) => (d === 'B' ? { dimParam: 'batch' } : { dimValue: d })) } } },
});

/** A model whose nodes `emit` adds through a GraphBuilder (fixed output names), with a scalar float64 output `loss`. */
function model(inputs: ValueInfoProto[], emit: (op: (type: string, ins: string[], out: string, attrs?: Record<string, AttrValue>) => void) => void, opts: { initializer?: TensorProto[]; opset?: ModelProto['opsetImport'] } = {}): ModelProto {
  const graph = { name: 'units', node: [] as NodeProto[], initializer: opts.initializer ?? [], input: inputs, output: [{ name: 'loss', type: { tensorType: { elemType: DT.DOUBLE } } }] };
  const b = new GraphBuilder(graph, 'fwd/');
  emit((type, ins, o, attrs = {}) => void b.op(type, ins, attrs, [o]));
  return { irVersion: 8, opsetImport: opts.opset ?? [{ domain: '', version: 17 }], graph };
}

const xs = (batch: number, from = -0.9): ort.Tensor => new ort.Tensor('float64', Float64Array.from({ length: batch * 3 }, (_, i) => from + 0.37 * i - 0.05 * (i % 2)), [batch, 3]);


const rejectsWith = (pattern: RegExp) => (e: unknown): boolean => e instanceof OnnxError && pattern.test(e.message);

test('Constant nodes (value tensor, value_ints, value_int, value_float) are read as constants', async () => {
  const i64 = (v: number[]): AttrValue => makeTensor('value', DT.INT64, [v.length], v);
  const m = model([f64('x'), f64('w', [3])], (op) => {
    op('Constant', [], 'reps', { value: i64([1, 2]) }); // Tile repeats must be constant
    op('Tile', ['x', 'reps'], 'tiled');
    op('ReduceSum', ['tiled'], 't_sum', { keepdims: 0 });
    op('Constant', [], 'axes', { value_ints: [0, 1] }); // ReduceSum axes must be constant
    op('Mul', ['x', 'x'], 'sq');
    op('ReduceSum', ['sq', 'axes'], 'r_sum', { keepdims: 0 });
    op('Constant', [], 'last', { value_int: -1 }); // a constant scalar index: gradient by padding, no scatter
    op('Gather', ['x', 'last'], 'col', { axis: 1 });
    op('ReduceSum', ['col'], 'g_sum', { keepdims: 0 });
    op('Constant', [], 'two', { value_float: { float: 2 } }); // exponent 2: the gradient is 2x, no second Pow
    op('Pow', ['x', 'two'], 'p');
    op('Mul', ['p', 'w'], 'pw');
    op('ReduceSum', ['pw'], 'p_sum', { keepdims: 0 });
    op('Sum', ['t_sum', 'r_sum', 'g_sum', 'p_sum'], 'loss');
  });
  const w = new ort.Tensor('float64', Float64Array.from([0.5, -1.5, 2]), [3]);
  await checkGraphGradient(m, 'x', (b) => ({ x: xs(b), w }));
  const g = await buildGradientModel(m, { objective: 'loss', wrt: ['x'], probe: { x: xs(2), w } });
  assert.equal(countOps(g, 'ScatterElements'), 0, 'Gather of a constant scalar index is differentiated by padding');
  assert.equal(countOps(g, 'Pow'), 1, 'the gradient of x^2 is 2x, without a Pow');
  // d/dx: 2 (tile twice) + 2x (squares) + [0,0,1] (last column) + 2x·w (power)
  const r = await runModel(g, { x: xs(2), w });
  const x = xs(2).data as Float64Array;
  const got = r['grad:x'].data as Float64Array;
  for (let i = 0; i < 6; i++) {
    const want = 2 + 2 * x[i] + (i % 3 === 2 ? 1 : 0) + 2 * x[i] * [0.5, -1.5, 2][i % 3];
    assert.ok(Math.abs(got[i] - want) < 1e-12, `grad:x[${i}] = ${got[i]}, want ${want}`);
  }
});

test('a value computed at run time is not a constant, even from a node with a value attribute (ConstantOfShape)', async () => {
  const m = model([f64('x')], (op) => {
    op('Constant', [], 'two', { value: makeTensor('value', DT.INT64, [1], [2]) });
    op('ConstantOfShape', ['two'], 'reps', { value: makeTensor('value', DT.INT64, [1], [1]) });
    op('Tile', ['x', 'reps'], 'tiled');
    op('ReduceSum', ['tiled'], 'loss', { keepdims: 0 });
  });
  await assert.rejects(buildGradientModel(m, { objective: 'loss', wrt: ['x'], probe: { x: xs(2) } }), rejectsWith(/Tile repeats \("reps"\) must be a constant/));
});

test('integer casts and non-differentiable ops stop gradients; ops off the active path need no rule', async () => {
  // loss = Σ x·float(int(x)) + Σ x·max(c) + Σ x·max(floor(x/4)) (row maxima): int(x), max(c) and floor(·) are
  // constants to the gradient, so d/dx = trunc(x) + max(c) + max(floor(x/4)), and ReduceMax (no rule) is never differentiated.
  const m = model([f64('x'), f64('c')], (op) => {
    op('Cast', ['x'], 'xi', { to: DT.INT64 });
    op('Cast', ['xi'], 'xt', { to: DT.DOUBLE });
    op('Mul', ['x', 'xt'], 'a');
    op('ReduceMax', ['c'], 'ac', { axes: [1] });
    op('Mul', ['x', 'ac'], 'b');
    op('Constant', [], 'quarter', { value: makeTensor('value', DT.DOUBLE, [], [0.25]) });
    op('Mul', ['x', 'quarter'], 'xq');
    op('Floor', ['xq'], 'fl');
    op('ReduceMax', ['fl'], 'afl', { axes: [1] });
    op('Mul', ['x', 'afl'], 'd');
    op('Sum', ['a', 'b', 'd'], 'abd');
    op('ReduceSum', ['abd'], 'loss', { keepdims: 0 });
  });
  const c = (b: number): ort.Tensor => new ort.Tensor('float64', Float64Array.from({ length: b * 3 }, (_, i) => Math.sin(i)), [b, 3]);
  await checkGraphGradient(m, 'x', (b) => ({ x: xs(b, 0.3), c: c(b) }));
});

test('piecewise-constant and random ops with float outputs stop the gradient (no rule is looked for)', async () => {
  // loss = Σ x·(floor + ceil + round + sign + eye)(x) + Σ 0·(random like x): d/dx is the sum of those constants
  const stops = ['Floor', 'Ceil', 'Round', 'Sign', 'EyeLike'];
  const m = model([f64('x')], (op) => {
    for (const s of stops) op(s, ['x'], s);
    op('RandomNormalLike', ['x'], 'rn');
    op('RandomUniformLike', ['x'], 'ru');
    op('Sum', [...stops, 'rn', 'ru'], 'sum');
    op('Mul', ['x', 'sum'], 'xs');
    op('ReduceSum', ['xs'], 'xs_sum', { keepdims: 0 });
    op('Mul', ['rn', 'ru'], 'rr');
    op('ReduceSum', ['rr'], 'rr_sum', { keepdims: 0 });
    op('Sub', ['xs_sum', 'rr_sum'], 'loss');
  });
  const x = xs(2);
  const g = await buildGradientModel(m, { objective: 'loss', wrt: ['x'], probe: { x } });
  g.graph!.output!.push({ name: 'rn' }, { name: 'ru' }); // this run's random values
  const r = await runModel(g, { x });
  const v = x.data as Float64Array;
  const got = r['grad:x'].data as Float64Array;
  const rn = r.rn.data as Float64Array;
  const ru = r.ru.data as Float64Array;
  for (let i = 0; i < 6; i++) {
    const want = Math.floor(v[i]) + Math.ceil(v[i]) + Math.round(v[i]) + Math.sign(v[i]) + (i === 0 || i === 4 ? 1 : 0) + rn[i] + ru[i];
    assert.ok(Math.abs(got[i] - want) < 1e-12, `grad:x[${i}] = ${got[i]}, want ${want}`);
  }
});

test('a gradient crossing a Cast is cast back to the input type', async () => {
  // loss = double(Σ float(x)·w): d/dx = w, as float64
  const w = makeTensor('w', DT.FLOAT, [3], [0.5, -2, 0.25]);
  const m = model([f64('x')], (op) => {
    op('Cast', ['x'], 'xf', { to: DT.FLOAT });
    op('Mul', ['xf', 'w'], 'p');
    op('ReduceSum', ['p'], 's', { keepdims: 0 });
    op('Cast', ['s'], 'loss', { to: DT.DOUBLE });
  }, { initializer: [w] });
  const g = await buildGradientModel(m, { objective: 'loss', wrt: ['x'], probe: { x: xs(2) } });
  const r = await runModel(g, { x: xs(3) });
  assert.equal(r['grad:x'].type, 'float64');
  assert.deepEqual(Array.from(r['grad:x'].data as Float64Array), [0.5, -2, 0.25, 0.5, -2, 0.25, 0.5, -2, 0.25]);
});

test('a wrt tensor made by a non-differentiable op gets its gradient; the path through that op is not followed', async () => {
  // loss = Σ x·t with t = floor(x) as a second wrt: ∂/∂x = t, ∂/∂t = x (Floor has no rule and is not differentiated)
  const m = model([f64('x')], (op) => {
    op('Floor', ['x'], 't');
    op('Mul', ['x', 't'], 'xt');
    op('ReduceSum', ['xt'], 'loss', { keepdims: 0 });
  });
  const x = xs(2, 0.3);
  const g = await buildGradientModel(m, { objective: 'loss', wrt: ['x', 't'], probe: { x } });
  const r = await runModel(g, { x });
  assert.deepEqual(Array.from(r['grad:x'].data as Float64Array), Array.from(x.data as Float64Array, Math.floor));
  assert.deepEqual(Array.from(r['grad:t'].data as Float64Array), Array.from(x.data as Float64Array));
});

test('a per-item objective is seeded with ones of its shape', async () => {
  // y = x·w per element (not summed): d(Σy)/dx = w, with x's shape
  const w = makeTensor('w', DT.DOUBLE, [3], [0.5, -2, 3]);
  const m = model([f64('x')], (op) => op('Mul', ['x', 'w'], 'y'), { initializer: [w] });
  m.graph!.output = [{ name: 'y' }];
  const g = await buildGradientModel(m, { objective: 'y', wrt: ['x'], probe: { x: xs(2) } });
  const r = await runModel(g, { x: xs(3) });
  assert.deepEqual([...r['grad:x'].dims], [3, 3]);
  assert.deepEqual(Array.from(r['grad:x'].data as Float64Array), [0.5, -2, 3, 0.5, -2, 3, 0.5, -2, 3]);
});

test('an op without a rule on the path is named with the wrt tensors; an unreachable float64 wrt gets float64 zeros', async () => {
  const m = model([f64('x'), f64('y'), f64('z')], (op) => {
    op('ReduceMax', ['x'], 'mx', { axes: [1] });
    op('Mul', ['mx', 'y'], 'my');
    op('ReduceSum', ['my'], 'loss', { keepdims: 0 });
  });
  const feeds = { x: xs(2), y: xs(2), z: xs(2) };
  await assert.rejects(buildGradientModel(m, { objective: 'loss', wrt: ['x', 'y'], probe: feeds }), rejectsWith(/no gradient rule for op "ReduceMax" \(ReduceMax node "fwd\/ReduceMax_node_\d+"\), which lies between the objective and "x", "y"$/));
  const g = await buildGradientModel(m, { objective: 'loss', wrt: ['y', 'z'], probe: feeds });
  const r = await runModel(g, feeds);
  assert.equal(r['grad:z'].type, 'float64');
  assert.deepEqual(Array.from(r['grad:z'].data as Float64Array), [0, 0, 0, 0, 0, 0]);
  const mx = [0, 1].map((i) => Math.max(...Array.from(feeds.x.data as Float64Array).slice(3 * i, 3 * i + 3)));
  assert.deepEqual(Array.from(r['grad:y'].data as Float64Array), [0, 1].flatMap((i) => [mx[i], mx[i], mx[i]]));
});

test('an objective that is not floating-point is refused by name', async () => {
  const m = model([f64('x')], (op) => {
    op('Shape', ['x'], 's');
    op('ReduceSum', ['x'], 'loss', { keepdims: 0 });
  });
  await assert.rejects(buildGradientModel(m, { objective: 's', wrt: ['x'], probe: { x: xs(2) } }), rejectsWith(/model "units": the objective "s" is not a floating-point tensor/));
});

test('the gradient model: opset raised for the standard domain only (named either way), new names under grad/, typed outputs, one Sum per shared tensor', async () => {
  // loss = Σ (x·x + sin(x)): x feeds two ops (one Sum of contributions), sin(x) one (none)
  const m = model([f64('x')], (op) => {
    op('Mul', ['x', 'x'], 'sq');
    op('Sin', ['x'], 's');
    op('Add', ['sq', 's'], 'a');
    op('ReduceSum', ['a'], 'loss', { keepdims: 0 });
  }, { opset: [{ domain: 'ai.onnx', version: 14 }, { domain: 'com.microsoft', version: 1 }] });
  m.graph!.node!.find((n) => n.opType === 'Sin')!.domain = 'ai.onnx'; // the standard domain by its long name
  const before = new Set(m.graph!.node!.map((n) => n.name));
  const g = await buildGradientModel(m, { objective: 'loss', wrt: ['x'], probe: { x: xs(2) } });
  assert.deepEqual(g.opsetImport, [{ domain: 'ai.onnx', version: 16 }, { domain: 'com.microsoft', version: 1 }]);
  const added = g.graph!.node!.filter((n) => !before.has(n.name));
  assert.ok(added.length > 3);
  for (const n of added) {
    assert.ok(n.name!.startsWith('grad/'), `node ${n.name}`);
    for (const o of n.output ?? []) assert.ok(o.startsWith('grad/') || o === 'grad:x', `tensor ${o}`);
  }
  assert.equal(countOps(g, 'Sum'), 1, 'x has two contributions, the other tensors one each');
  assert.deepEqual(g.graph!.output!.at(-1), { name: 'grad:x', type: { tensorType: { elemType: DT.DOUBLE } } });
  assert.equal(m.graph!.node!.length, before.size, 'the source model is left as it was');
  const r = await runModel(g, { x: xs(2) });
  const x = xs(2).data as Float64Array;
  (r['grad:x'].data as Float64Array).forEach((v, i) => assert.ok(Math.abs(v - (2 * x[i] + Math.cos(x[i]))) < 1e-12));
});

test('the objective may be the wrt input itself (a graph without nodes)', async () => {
  const m: ModelProto = { irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: { name: 'empty', input: [f64('x')], output: [f64('x')] } };
  const g = await buildGradientModel(m, { objective: 'x', wrt: ['x'] });
  const r = await runModel(g, { x: xs(2) });
  assert.deepEqual(Array.from(r['grad:x'].data as Float64Array), [1, 1, 1, 1, 1, 1]);
});

test('a wrt tensor reaching the objective through Clip bounds or Pad value is refused; through Dropout ratio its zero gradient is right', async () => {
  const w1 = (name: string): ValueInfoProto => ({ name, type: { tensorType: { elemType: DT.DOUBLE, shape: { dim: [] } } } });
  const clipped = model([f64('x'), w1('lo')], (op) => {
    op('Clip', ['x', 'lo'], 'c');
    op('ReduceSum', ['c'], 'loss', { keepdims: 0 });
  });
  const lo = new ort.Tensor('float64', Float64Array.from([0.1]), []);
  await assert.rejects(
    buildGradientModel(clipped, { objective: 'loss', wrt: ['x', 'lo'], probe: { x: xs(2), lo } }),
    rejectsWith(/input 1 \("lo"\) of Clip node "fwd\/Clip_node_\d+" depends on "x", "lo", but Clip is differentiated only through its input 0/),
  );
  // with respect to x alone the bound is a constant: differentiated as before
  await checkGraphGradient(clipped, 'x', (b) => ({ x: xs(b), lo }));
  // a bound computed at run time from what is not differentiated is a constant too
  const computed = model([f64('x'), w1('c')], (op) => {
    op('Neg', ['c'], 'lo');
    op('Clip', ['x', 'lo'], 'cl');
    op('ReduceSum', ['cl'], 'loss', { keepdims: 0 });
  });
  const c = new ort.Tensor('float64', Float64Array.from([0.1]), []);
  await checkGraphGradient(computed, 'x', (b) => ({ x: xs(b), c }));

  const padded = model([f64('x'), w1('v')], (op) => {
    op('Constant', [], 'pads', { value: makeTensor('value', DT.INT64, [4], [0, 1, 0, 1]) });
    op('Pad', ['x', 'pads', 'v'], 'p', { mode: 'constant' });
    op('ReduceSum', ['p'], 'loss', { keepdims: 0 });
  });
  const v = new ort.Tensor('float64', Float64Array.from([0.3]), []);
  await assert.rejects(buildGradientModel(padded, { objective: 'loss', wrt: ['v'], probe: { x: xs(2), v } }), rejectsWith(/input 2 \("v"\) of Pad node .* Pad is differentiated only through its input 0/));

  const dropped = model([f64('x'), w1('r')], (op) => {
    op('Dropout', ['x', 'r'], 'd');
    op('ReduceSum', ['d'], 'loss', { keepdims: 0 });
  });
  const r = new ort.Tensor('float64', Float64Array.from([0.5]), []);
  const g = await buildGradientModel(dropped, { objective: 'loss', wrt: ['x', 'r'], probe: { x: xs(2), r } });
  const out = await runModel(g, { x: xs(2), r });
  assert.deepEqual([...(out['grad:r'].data as Float64Array)], [0], 'inference Dropout ignores its ratio');
  assert.deepEqual([...(out['grad:x'].data as Float64Array)], [1, 1, 1, 1, 1, 1]);
});
