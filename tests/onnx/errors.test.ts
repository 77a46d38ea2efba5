// Bad input gives an OnnxError that names the file, tensor or node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { OnnxError, readModel, serializeModel, type ModelProto } from '../../native-models/onnx/model';
import { extractSubgraph, findTensor, exposeTensors } from '../../native-models/onnx/surgery';
import { buildGradientModel } from '../../native-models/onnx/autodiff';
import { appendCosineObjective } from '../../native-models/onnx/objective';
import { DT, makeAttr } from '../../native-models/onnx/tensors';
import { MINI_CLIP_ONNX } from './fixtures';
import { testTempDir } from '../temp-dir';

const VISION = join(MINI_CLIP_ONNX, 'vision_model.onnx');

function onnxError(pattern: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof OnnxError, `expected OnnxError, got ${String(e)}`);
    assert.match((e as Error).message, pattern);
    return true;
  };
}

test('a file that is not ONNX, an empty file, a truncated model and a folder are refused by name', () => {
  const dir = testTempDir('candor-engine-');
  try {
    const text = join(dir, 'notes.onnx');
    writeFileSync(text, 'this is a text file, not a model\n'.repeat(20));
    assert.throws(() => readModel(text), onnxError(/notes\.onnx: not (a readable )?(an )?ONNX/));
    const empty = join(dir, 'empty.onnx');
    writeFileSync(empty, '');
    assert.throws(() => readModel(empty), onnxError(/empty\.onnx: the file is empty/));
    const truncated = join(dir, 'truncated.onnx');
    const bytes = readFileSync(VISION);
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    assert.throws(() => readModel(truncated), onnxError(/truncated\.onnx: .*(truncated|not)/));
    const png = join(dir, 'scan.onnx');
    writeFileSync(png, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]));
    assert.throws(() => readModel(png), onnxError(/scan\.onnx/));
    assert.throws(() => readModel(join(dir, 'missing.onnx')), onnxError(/missing\.onnx: no such ONNX model file/));
    const folder = join(dir, 'folder.onnx');
    mkdirSync(folder);
    assert.throws(() => readModel(folder), onnxError(/folder\.onnx: is a folder/));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing tensor name is named, with the model file', async () => {
  const m = readModel(VISION);
  assert.throws(() => findTensor(m, '/vision_model/encoder/layers.9/Add_1_output_0'), onnxError(/"\/vision_model\/encoder\/layers\.9\/Add_1_output_0" does not exist in .*vision_model\.onnx/));
  assert.throws(() => exposeTensors(m, ['nope']), onnxError(/"nope" does not exist/));
  assert.throws(() => extractSubgraph(m, { inputs: ['cut_here'], outputs: ['image_embeds'] }), onnxError(/"cut_here" does not exist/));
  assert.throws(() => appendCosineObjective(m, { embedding: 'embeds' }), onnxError(/"embeds" does not exist/));
  await assert.rejects(buildGradientModel(m, { objective: 'image_embeds', wrt: ['h_missing'] }), onnxError(/"h_missing" does not exist/));
  await assert.rejects(buildGradientModel(m, { objective: 'loss', wrt: ['pixel_values'] }), onnxError(/"loss" does not exist/));
});

function arccosModel(): ModelProto {
  const v = (name: string) => ({ name, type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [{ dimParam: 'n' }, { dimValue: 3 }] } } } });
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'arccos_graph',
      node: [
        { opType: 'Acos', name: 'the_arccos', input: ['x'], output: ['s'] },
        { opType: 'ReduceSum', name: 'total', input: ['s'], output: ['loss'], attribute: [makeAttr('keepdims', 0)] },
      ],
      input: [v('x')],
      output: [{ name: 'loss', type: { tensorType: { elemType: DT.FLOAT } } }],
    },
  };
}

test('an op without a gradient rule fails naming the op and the node, never a silent zero', async () => {
  await assert.rejects(buildGradientModel(arccosModel(), { objective: 'loss', wrt: ['x'] }), onnxError(/no gradient rule for op "Acos" \(Acos node "the_arccos"\)/));
});

test('an unknown op off the gradient path does not matter; the gradient with respect to an unreachable tensor is zero', async () => {
  const m = arccosModel();
  m.graph!.input!.push({ name: 'y', type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [{ dimValue: 2 }] } } } });
  m.graph!.node!.push({ opType: 'ReduceSum', name: 'ysum', input: ['y'], output: ['ys'], attribute: [makeAttr('keepdims', 0)] });
  m.graph!.node!.push({ opType: 'Mul', name: 'scale', input: ['ys', 'ys'], output: ['obj'] });
  m.graph!.output!.push({ name: 'obj' });
  const g = await buildGradientModel(m, { objective: 'obj', wrt: ['y', 'x'] });
  const s = await ort.InferenceSession.create(serializeModel(g));
  const r = await s.run({ x: new ort.Tensor('float32', new Float32Array(6).fill(1), [2, 3]), y: new ort.Tensor('float32', Float32Array.from([1, 2]), [2]) });
  assert.deepEqual(Array.from(r['grad:y'].data as Float32Array), [6, 6]);
  assert.deepEqual(Array.from(r['grad:x'].data as Float32Array), [0, 0, 0, 0, 0, 0]);
  await s.release();
});

test('differentiating with respect to an integer tensor or a too-old opset is refused clearly', async () => {
  const m = arccosModel();
  m.opsetImport = [{ domain: '', version: 11 }];
  await assert.rejects(buildGradientModel(m, { objective: 'loss', wrt: ['x'] }), onnxError(/opset 11 is too old/));
  const t = readModel(join(MINI_CLIP_ONNX, 'text_model.onnx'));
  await assert.rejects(
    buildGradientModel(t, { objective: 'text_embeds', wrt: ['input_ids'], probe: { input_ids: new ort.Tensor('int64', BigInt64Array.from([211n, 4n, 212n, 211n, 5n, 212n]), [2, 3]) } }),
    onnxError(/"input_ids": it is not a floating-point tensor/),
  );
});

test('a gradient without a probe for inputs of unknown shape asks for one', async () => {
  const m = readModel(VISION);
  const tail = extractSubgraph(m, { inputs: ['/vision_model/encoder/layers.2/Add_1_output_0'], outputs: ['image_embeds'] });
  await assert.rejects(buildGradientModel(tail, { objective: 'image_embeds', wrt: ['/vision_model/encoder/layers.2/Add_1_output_0'] }), onnxError(/needs a probe/));
});

test('a contrib-domain op on the gradient path is refused by name, not mistaken for the standard op', async () => {
  const m = arccosModel();
  m.opsetImport!.push({ domain: 'com.microsoft', version: 1 });
  m.graph!.node![0] = { opType: 'Gelu', domain: 'com.microsoft', name: 'fused_gelu', input: ['x'], output: ['s'] };
  await assert.rejects(buildGradientModel(m, { objective: 'loss', wrt: ['x'] }), onnxError(/op "Gelu" of domain "com\.microsoft" \(Gelu node "fused_gelu"\)/));
});
