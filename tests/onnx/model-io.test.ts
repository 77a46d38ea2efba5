import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { OnnxError, externalizeWeights, modelSource, weightsOnDemand, opsetVersion, parseModel, readModel, serializeModel, writeModel, writePieces } from '../../native-models/onnx/model';
import { exposeTensors, extractSubgraph, findTensor } from '../../native-models/onnx/surgery';
import { buildGradientModel } from '../../native-models/onnx/autodiff';
import { MINI_CLIP_ONNX } from './fixtures';
import { testTempDir } from '../temp-dir';

const VISION = join(MINI_CLIP_ONNX, 'vision_model.onnx');
const TEXT = join(MINI_CLIP_ONNX, 'text_model.onnx');

function pixels(batch: number): ort.Tensor {
  return new ort.Tensor('float32', Float32Array.from({ length: batch * 3 * 64 * 64 }, (_, i) => Math.sin(i * 0.37)), [batch, 3, 64, 64]);
}

async function run(model: Uint8Array | string, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const s = typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

function tmp(): string {
  return testTempDir('candor-engine-');
}

test('readModel reads mini-clip with its opset, initializers and outputs; serialize round-trips', () => {
  const m = readModel(VISION);
  assert.equal(opsetVersion(m), 14);
  assert.equal(m.graph!.initializer!.length, 72);
  assert.deepEqual(m.graph!.output!.map((o) => o.name), ['image_embeds', 'last_hidden_state']);
  const again = parseModel(serializeModel(m), 'round trip');
  assert.equal(again.graph!.node!.length, m.graph!.node!.length);
  assert.deepEqual(serializeModel(again), serializeModel(m));
});

test('external data: a model written with its weights in a side file reads back and runs identically', async () => {
  const dir = tmp();
  try {
    const m = readModel(VISION);
    const file = join(dir, 'vision_ext.onnx');
    writeModel(file, m, { external: true });
    assert.ok(existsSync(`${file}.data`));
    assert.ok(readFileSync(file).byteLength < 100_000, 'weights moved out of the protobuf');
    const raw = readModel(file, { loadExternalData: false });
    assert.ok(raw.graph!.initializer!.some((t) => t.dataLocation === 1));
    const back = readModel(file);
    assert.ok(back.graph!.initializer!.every((t) => t.dataLocation !== 1));
    const a = await run(serializeModel(m), { pixel_values: pixels(1) });
    const b = await run(file, { pixel_values: pixels(1) }); // onnxruntime reads the same external file
    const c = await run(serializeModel(back), { pixel_values: pixels(1) });
    assert.deepEqual(Array.from(b.image_embeds.data as Float32Array), Array.from(a.image_embeds.data as Float32Array));
    assert.deepEqual(Array.from(c.image_embeds.data as Float32Array), Array.from(a.image_embeds.data as Float32Array));
    // a missing side file is named
    rmSync(`${file}.data`);
    assert.throws(() => readModel(file), (e: unknown) => e instanceof OnnxError && /vision_ext\.onnx\.data/.test((e as Error).message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('externalizeWeights moves large weights out as aligned views of the parsed bytes, leaves the model as it was, and onnxruntime runs the split identically', async () => {
  const dir = tmp();
  try {
    const bytes = readFileSync(VISION);
    const m = parseModel(bytes, VISION);
    const before = serializeModel(m);
    const split = externalizeWeights(m, 'weights.bin', { minBytes: 4096, align: 4096 });
    assert.deepEqual(serializeModel(m), before, 'the model given is not changed');
    const inits = m.graph!.initializer!;
    const moved = inits.filter((t) => (t.rawData?.byteLength ?? 0) >= 4096);
    assert.ok(moved.length > 10 && moved.length < inits.length, 'large weights move, small ones stay');
    assert.equal(split.pieces.length, moved.length);
    for (const [i, p] of split.pieces.entries()) {
      assert.equal(p.at % 4096, 0, 'each piece starts on the alignment');
      assert.equal(p.bytes, moved[i].rawData, 'the piece is the parsed tensor itself, not a copy');
      assert.equal(p.bytes.buffer, bytes.buffer, 'a view of the bytes read');
      if (i > 0) assert.ok(p.at >= split.pieces[i - 1].at + split.pieces[i - 1].bytes.byteLength, 'pieces do not overlap');
    }
    const last = split.pieces[split.pieces.length - 1];
    assert.equal(split.size, last.at + last.bytes.byteLength);
    const out = split.model.graph!.initializer!;
    assert.equal(out.filter((t) => t.dataLocation === 1).length, moved.length);
    assert.ok(out.filter((t) => t.dataLocation !== 1).every((t) => (t.rawData?.byteLength ?? 0) < 4096));
    const fd = openSync(join(dir, 'weights.bin'), 'w');
    writePieces(fd, split.pieces);
    closeSync(fd);
    writeFileSync(join(dir, 'model.onnx'), serializeModel(split.model));
    assert.ok(statSync(join(dir, 'model.onnx')).size < 100_000);
    const a = await run(bytes, { pixel_values: pixels(2) });
    const b = await run(join(dir, 'model.onnx'), { pixel_values: pixels(2) });
    assert.deepEqual(Array.from(b.image_embeds.data as Float32Array), Array.from(a.image_embeds.data as Float32Array));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('weightsOnDemand reads a weight only when a derived graph uses it, and a tail cut from it is byte for byte the one cut from the model in memory', async () => {
  const bytes = readFileSync(VISION);
  const m = parseModel(bytes, VISION);
  const split = externalizeWeights(m, 'weights.bin', { minBytes: 4096, align: 4096 });
  const file = Buffer.alloc(split.size);
  for (const p of split.pieces) file.set(p.bytes, p.at);
  const reads: string[] = [];
  const lazy = weightsOnDemand(split.model, (offset, length, name) => {
    reads.push(name);
    return file.subarray(offset, offset + length);
  });
  assert.equal(reads.length, 0, 'nothing is read up front');
  const cut = '/vision_model/encoder/layers.2/Add_1_output_0';
  const tail = extractSubgraph(lazy, { inputs: [cut], outputs: ['image_embeds'] });
  const tailBytes = serializeModel(tail);
  const moved = new Set(split.model.graph!.initializer!.filter((t) => t.dataLocation === 1).map((t) => t.name!));
  const needed = new Set(tail.graph!.initializer!.map((t) => t.name!).filter((n) => moved.has(n)));
  assert.ok(needed.size > 0 && needed.size < moved.size / 2, 'the tail needs some of the large weights, not most');
  assert.deepEqual(new Set(reads), needed, 'only the weights the tail keeps are read');
  assert.equal(reads.length, needed.size, 'each once, by the serialization');
  const reference = serializeModel(extractSubgraph(m, { inputs: [cut], outputs: ['image_embeds'] }));
  assert.deepEqual(tailBytes, reference, 'the same tail, byte for byte, as cut from the model in memory');
  assert.throws(() => weightsOnDemand({ ...split.model, graph: { ...split.model.graph, initializer: [{ name: 'w', dataType: 1, dims: [4], dataLocation: 1, externalData: [{ key: 'location', value: 'weights.bin' }] }] } }, () => new Uint8Array(16)), /tensor "w" is external data of unknown length/);
});

test('findTensor reports producer and consumers', () => {
  const m = readModel(VISION);
  const t = findTensor(m, '/vision_model/encoder/layers.1/Add_1_output_0');
  assert.equal(t.producer, '/vision_model/encoder/layers.1/Add_1');
  assert.ok(t.consumers.includes('/vision_model/encoder/layers.2/layer_norm1/ReduceMean'));
  assert.ok(t.consumers.includes('/vision_model/encoder/layers.2/Add'));
  assert.deepEqual(findTensor(m, 'pixel_values').producer, null);
});

test('exposeTensors returns the intermediate residual stream', async () => {
  const name = '/vision_model/encoder/layers.0/Add_1_output_0';
  const m = exposeTensors(readModel(VISION), [name]);
  const r = await run(serializeModel(m), { pixel_values: pixels(2) });
  assert.deepEqual(r[name].dims, [2, 65, 64]);
  assert.equal(r[name].type, 'float32');
});

test('extractSubgraph: the tail after a cut reproduces the embeddings and keeps only what it needs', async () => {
  for (const [file, input, cut, out, feeds] of [
    [VISION, 'pixel_values', '/vision_model/encoder/layers.2/Add_1_output_0', 'image_embeds', { pixel_values: pixels(2) }],
    [TEXT, 'input_ids', '/text_model/encoder/layers.1/Add_1_output_0', 'text_embeds', { input_ids: new ort.Tensor('int64', BigInt64Array.from([211n, 5n, 9n, 212n, 211n, 7n, 212n, 0n]), [2, 4]) }],
  ] as const) {
    const full = readModel(file);
    const r = await run(serializeModel(exposeTensors(full, [cut])), feeds);
    const tail = extractSubgraph(full, { inputs: [cut], outputs: [out] });
    const inits = tail.graph!.initializer!.map((t) => t.name!);
    assert.ok(!inits.some((n) => /layers\.0\./.test(n)), 'no layer-0 weights in the tail');
    assert.ok(inits.some((n) => /layers\.3\./.test(n)), 'last layer weights kept');
    const inputs = tail.graph!.input!.map((v) => v.name);
    // the text tail still needs input_ids (ArgMax pooling); the vision tail does not need pixels
    assert.deepEqual(inputs, file === TEXT ? [cut, input] : [cut]);
    const tfeeds: Record<string, ort.Tensor> = { [cut]: r[cut] };
    if (file === TEXT) tfeeds[input] = feeds[input as keyof typeof feeds] as ort.Tensor;
    const t = await run(serializeModel(tail), tfeeds);
    const a = Array.from(t[out].data as Float32Array);
    const b = Array.from(r[out].data as Float32Array);
    assert.ok(Math.max(...a.map((v, i) => Math.abs(v - b[i]))) < 1e-5, `${out} through the tail`);
  }
});

test('directional derivative through whole towers (Conv, Cast, Concat, Expand, Where, Gather pooling) matches finite differences', async () => {
  const full = readModel(VISION);
  const g = await buildGradientModel(full, { objective: 'image_embeds', wrt: ['pixel_values', 'vision_model.embeddings.class_embedding'], probe: { pixel_values: pixels(2) } });
  const x = pixels(3);
  const r = await run(serializeModel(g), { pixel_values: x });
  const grad = r['grad:pixel_values'].data as Float32Array;
  assert.deepEqual(r['grad:pixel_values'].dims, [3, 3, 64, 64]);
  assert.deepEqual(r['grad:vision_model.embeddings.class_embedding'].dims, [64]);
  const dir = Float32Array.from({ length: grad.length }, (_, i) => Math.cos(i * 1.7));
  const h = 1e-2;
  const sumAt = async (sign: number): Promise<number> => {
    const xs = Float32Array.from(x.data as Float32Array, (v, i) => v + sign * h * dir[i]);
    const o = await run(serializeModel(full), { pixel_values: new ort.Tensor('float32', xs, x.dims) });
    return Array.from(o.image_embeds.data as Float32Array).reduce((a, b) => a + b, 0);
  };
  const fd = ((await sumAt(1)) - (await sumAt(-1))) / (2 * h);
  const analytic = grad.reduce((s, v, i) => s + v * dir[i], 0);
  assert.ok(Math.abs(fd - analytic) <= 2e-3 * Math.abs(analytic) + 1e-3, `directional derivative ${analytic} vs finite differences ${fd}`);
});

test('modelSource hands big models to onnxruntime as a temporary file with external data', async () => {
  const m = readModel(VISION);
  const small = modelSource(m);
  assert.ok(small.source instanceof Uint8Array);
  const big = modelSource(m, { maxInlineBytes: 1000 });
  assert.equal(typeof big.source, 'string');
  try {
    assert.ok(existsSync(`${big.source as string}.data`));
    const a = await run(small.source, { pixel_values: pixels(1) });
    const b = await run(big.source, { pixel_values: pixels(1) });
    assert.deepEqual(Array.from(b.image_embeds.data as Float32Array), Array.from(a.image_embeds.data as Float32Array));
  } finally {
    big.cleanup();
  }
  assert.ok(!existsSync(big.source as string));
});
