// A node replaced in a model's serialized bytes (no re-encoding of the weights) decodes to the same
// model as the edit serialized whole; bytes that are not a plain model give null (the caller then
// serializes whole).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { join } from 'node:path';
import { onnx, parseModel, serializeModel, type ModelProto, type NodeProto } from '../../native-models/onnx/model';
import { replaceNodeInBytes } from '../../native-models/onnx/splice';
import { FAMILY_BUNDLES, MINI } from '../clip/helpers';

function decoded(bytes: Uint8Array): Record<string, unknown> {
  return onnx.ModelProto.toObject(onnx.ModelProto.decode(bytes), { longs: String, bytes: String, defaults: false });
}

async function outputs(bytes: Uint8Array, T: number): Promise<{ inputs: readonly string[]; outputs: readonly string[]; values: Record<string, number[]> }> {
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
  const feeds: Record<string, ort.Tensor> = {};
  for (const n of s.inputNames) {
    if (n === 'scale') feeds[n] = new ort.Tensor('float32', Float32Array.from({ length: T }, (_, i) => 0.5 + i / T), [1, T, 1]);
    else feeds[n] = new ort.Tensor('int64', BigInt64Array.from({ length: T }, (_, i) => BigInt(n === 'input_ids' ? 1 + i * 3 : n === 'attention_mask' ? 1 : 0)), [1, T]);
  }
  const out = await s.run(feeds);
  const values = Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Array.from(v.data as Float32Array)]));
  const r = { inputs: s.inputNames, outputs: s.outputNames, values };
  await s.release();
  return r;
}

for (const [name, dir] of [['mini-clip', MINI], ['biomed-mini', FAMILY_BUNDLES.biomed]] as const) {
  test(`${name}: replacing a node in the bytes equals serializing the edited model (protobufjs and onnxruntime read them alike)`, async () => {
    const bytes = readFileSync(join(dir, 'onnx', 'text_model.onnx'));
    const model = parseModel(bytes, name);
    const nodes = model.graph?.node ?? [];
    const tables = new Set((model.graph?.initializer ?? []).filter((t) => t.dataType === 1 && t.dims?.length === 2).map((t) => t.name));
    // A lookup in a float table (the token or position embeddings): its output takes a float factor.
    const index = nodes.findIndex((n) => n.opType === 'Gather' && tables.has(n.input?.[0]));
    assert.ok(index > 0, 'the lookup is not the first node');
    const out = nodes[index].output?.[0] as string;
    // A long name makes the graph's length grow past a varint byte boundary where it sits near one.
    const replacement: NodeProto[] = [{ ...nodes[index], output: [`${out}/raw`] }, { opType: 'Mul', name: 'x'.repeat(300), input: [`${out}/raw`, 'scale'], output: [out] }];
    const merge: ModelProto = { graph: { input: [{ name: 'scale', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimParam: 'T' }, { dimValue: 1 }] } } } }], output: [{ name: out, type: { tensorType: { elemType: 1 } } }] } };
    const pieces = replaceNodeInBytes(bytes, index, replacement, merge);
    assert.ok(pieces, 'a plain model is spliced');
    // The weights are the file's own bytes, not a copy: the first piece is a view of them.
    assert.equal(pieces[0].buffer, bytes.buffer);
    const all = [...nodes];
    all.splice(index, 1, ...replacement);
    const g = model.graph ?? {};
    // Without the merged message, protobufjs decodes the same model (it replaces a repeated sub-message instead of merging it, so it cannot read the merge).
    assert.deepEqual(decoded(Buffer.concat(pieces.slice(0, -1))), decoded(serializeModel({ ...model, graph: { ...g, node: all } })));
    const whole = serializeModel({ ...model, graph: { ...g, node: all, input: [...(g.input ?? []), ...(merge.graph?.input ?? [])], output: [...(g.output ?? []), ...(merge.graph?.output ?? [])] } });
    const [a, b] = [await outputs(Buffer.concat(pieces), 7), await outputs(whole, 7)];
    assert.ok(a.inputs.includes('scale') && a.outputs.includes(out));
    assert.deepEqual(a, b);
  });
}

test('bytes that are not one plain graph give null', () => {
  const bytes = readFileSync(join(MINI, 'onnx', 'text_model.onnx'));
  const node: NodeProto = { opType: 'Identity', input: ['a'], output: ['b'] };
  assert.equal(replaceNodeInBytes(bytes.subarray(0, bytes.length >> 1), 0, [node], {}), null, 'truncated');
  assert.equal(replaceNodeInBytes(Buffer.concat([bytes, bytes]), 0, [node], {}), null, 'two graph fields');
  assert.equal(replaceNodeInBytes(bytes, 1e6, [node], {}), null, 'no such node');
});
