import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDispatch, type ServiceTable } from '../../electron/ipc/handlers';
import { decodeWire, encodeWire } from '../../electron/api/wire';
import { CHANNELS } from '../../electron/api/contract';
import { ImagingError } from '../../electron/imaging/errors';

function servicesRecording(calls: unknown[]): ServiceTable {
  const table: Partial<ServiceTable> = {};
  for (const ch of CHANNELS) {
    (table as Record<string, (r: unknown) => Promise<unknown>>)[ch] = async (req) => {
      calls.push([ch, req]);
      if (ch === 'scan:open') {
        throw new ImagingError('/tmp/x.dcm', 'not a DICOM file');
      }
      if (ch === 'audit:verify') throw new Error('boom');
      return { echoed: req };
    };
  }
  return table as ServiceTable;
}

test('a request with a wrong shape gets a clear validation error and never reaches the service', async () => {
  const calls: unknown[] = [];
  const dispatch = createDispatch(servicesRecording(calls));
  const res = await dispatch('scan:frame', { scanId: 'abc', frame: 'one' });
  assert.equal(res.ok, false);
  if (!res.ok) {
    assert.equal(res.error.code, 'invalid-request');
    assert.match(res.error.message, /frame/);
  }
  const extra = await dispatch('app:info', { sneaky: true });
  assert.equal(extra.ok, false);
  const empty = await dispatch('explain:start', { scanId: 's', text: '   ' });
  assert.equal(empty.ok, false);
  if (!empty.ok) assert.match(empty.error.message, /report text is empty/);
  assert.equal(calls.length, 0);
});

test('unknown channels are refused; valid requests reach the service with defaults applied', async () => {
  const calls: unknown[] = [];
  const dispatch = createDispatch(servicesRecording(calls));
  const unknown = await dispatch('fs:readAnything', { path: '/etc/passwd' });
  assert.equal(unknown.ok, false);
  if (!unknown.ok) assert.match(unknown.error.message, /unknown channel/);
  const ok = await dispatch('explain:start', { scanId: 's', text: 'Small nodule.' });
  assert.equal(ok.ok, true);
  assert.deepEqual(calls[0], ['explain:start', { scanId: 's', text: 'Small nodule.', frame: 1, method: 'nib', target: 'both', precision: 'fp32', sanity: false, allSentences: false }]);
});

test('user-facing errors keep their message; unexpected errors are marked internal', async () => {
  const logged: string[] = [];
  const dispatch = createDispatch(servicesRecording([]), (l) => logged.push(l));
  const bad = await dispatch('scan:open', { path: '/tmp/x.dcm' });
  assert.deepEqual(bad, { ok: false, error: { code: 'bad-input', message: '/tmp/x.dcm: not a DICOM file' } });
  const internal = await dispatch('audit:verify', {});
  assert.equal(internal.ok, false);
  if (!internal.ok) assert.equal(internal.error.code, 'internal');
  assert.equal(logged.length, 1);
});

test('the wire codec carries typed arrays exactly', () => {
  const value = { a: new Float32Array([1.5, -2, Math.PI]), b: new Uint16Array([0, 65535]), n: 3, s: 'x' };
  const back = decodeWire(encodeWire(value)) as typeof value;
  assert.ok(back.a instanceof Float32Array);
  assert.deepEqual(Array.from(back.a), Array.from(value.a));
  assert.ok(back.b instanceof Uint16Array);
  assert.deepEqual(Array.from(back.b), [0, 65535]);
  assert.equal(back.n, 3);
});
