import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { createSession, platformProviders, SessionError } from '../../native-models/runtime/session';
import { serializeModel, type ModelProto } from '../../native-models/onnx/model';
import { makeTensor, DT } from '../../native-models/onnx/tensors';

function affineModel(): Uint8Array {
  const model: ModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'affine',
      node: [
        { opType: 'MatMul', input: ['x', 'W'], output: ['xw'], name: 'mm' },
        { opType: 'Add', input: ['xw', 'B'], output: ['y'], name: 'add' },
      ],
      initializer: [makeTensor('W', DT.FLOAT, [3, 2], [1, 2, 3, 4, 5, 6]), makeTensor('B', DT.FLOAT, [2], [0.5, -0.5])],
      input: [{ name: 'x', type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [{ dimParam: 'n' }, { dimValue: 3 }] } } } }],
      output: [{ name: 'y', type: { tensorType: { elemType: DT.FLOAT } } }],
    },
  };
  return serializeModel(model);
}

test('CPU session computes the model and reports no fallback', async () => {
  const info = await createSession(affineModel(), { prefer: 'cpu', intraOpThreads: 1 });
  assert.equal(info.provider, 'cpu');
  assert.equal(info.fallbackReason, null);
  const r = await info.session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 1, 1, 0, 1, 0]), [2, 3]) });
  assert.deepEqual(Array.from(r.y.data as Float32Array), [9.5, 11.5, 3.5, 3.5]);
  await info.session.release();
});

test('asking for CUDA either runs on CUDA or says plainly why it fell back to CPU', async () => {
  const info = await createSession(affineModel(), { prefer: 'cuda' });
  if (info.provider === 'cuda') assert.equal(info.fallbackReason, null);
  else {
    assert.equal(info.provider, 'cpu');
    assert.match(info.fallbackReason ?? '', /cuda: .+/);
    // on machines without the CUDA provider library onnxruntime says so; that reason must reach the caller
    if (process.platform === 'linux') assert.match(info.fallbackReason ?? '', /Failed to load shared library|cuda/i);
  }
  const r = await info.session.run({ x: new ort.Tensor('float32', Float32Array.from([0, 0, 1]), [1, 3]) });
  assert.deepEqual(Array.from(r.y.data as Float32Array), [5.5, 5.5]);
  await info.session.release();
});

test('auto picks the platform accelerators first', async () => {
  assert.deepEqual(platformProviders('linux'), ['cuda']);
  assert.deepEqual(platformProviders('win32'), ['cuda', 'dml']);
  assert.deepEqual(platformProviders('darwin'), ['coreml']);
  const info = await createSession(affineModel());
  assert.ok(['cpu', 'cuda'].includes(info.provider));
  if (info.provider === 'cpu' && process.platform === 'linux') assert.ok(info.fallbackReason);
  await info.session.release();
});

test('a model onnxruntime cannot load gives a SessionError naming the model', async () => {
  await assert.rejects(createSession(Uint8Array.from([1, 2, 3, 4, 5]), { prefer: 'cpu' }), (e: unknown) => {
    assert.ok(e instanceof SessionError);
    assert.match((e as Error).message, /in-memory model \(5 bytes\)/);
    return true;
  });
  await assert.rejects(createSession('/nonexistent/model.onnx', { prefer: 'cpu' }), /\/nonexistent\/model\.onnx/);
});
