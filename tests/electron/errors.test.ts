/**
 * The error taxonomy (native-models/errors.ts) as the API boundary applies it: each class gives
 * its code by instanceof, each room's own error class lands in the right one, an error outside
 * the taxonomy is `internal` and logged with its stack, and a name string never decides.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import {
  CancelledError, CandorError, ERROR_CODES, errorCode, errorMessage, IntegrityError, InternalError, ModelOutputError, NotFoundError, UnavailableError, UserInputError,
} from '../../native-models/errors';
import { createDispatch, toApiError, type ServiceTable } from '../../electron/ipc/handlers';
import { CHANNELS } from '../../electron/api/contract';
import { ImagingError } from '../../electron/imaging/errors';
import { BundleError } from '../../native-models/clip/bundle';
import { ExplainCancelled, ExplainError } from '../../native-models/explain/core';
import { AuditError } from '../../db/audit-store';
import { ModelUnavailableError } from '../../electron/services/model-host';
import { OnnxError } from '../../native-models/onnx/model';
import { TokenizerError } from '../../native-models/clip/tokenizer';

test('each taxonomy class maps to its own code, and every code has a class', () => {
  const cases: [CandorError, string][] = [
    [new UserInputError('x'), 'bad-input'],
    [new NotFoundError('x'), 'not-found'],
    [new UnavailableError('x'), 'unavailable'],
    [new CancelledError(), 'cancelled'],
    [new ModelOutputError('x'), 'model-output'],
    [new IntegrityError('x'), 'integrity'],
    [new InternalError('x'), 'internal'],
  ];
  for (const [err, code] of cases) {
    assert.equal(errorCode(err), code, err.constructor.name);
    assert.equal(toApiError(err).code, code);
  }
  assert.deepEqual([...new Set(cases.map(([, c]) => c))].sort(), [...ERROR_CODES].sort());
});

test("the rooms' own errors land in the taxonomy", () => {
  assert.equal(errorCode(new ImagingError('/a.dcm', 'truncated')), 'bad-input');
  assert.equal(errorCode(new BundleError('no config.json')), 'bad-input');
  assert.equal(errorCode(new OnnxError('bad proto')), 'bad-input');
  assert.equal(errorCode(new TokenizerError('bad vocab')), 'bad-input');
  assert.equal(errorCode(new ExplainError('empty text')), 'bad-input');
  assert.equal(errorCode(new AuditError('not a log')), 'bad-input');
  assert.equal(errorCode(new ExplainCancelled()), 'cancelled');
  assert.equal(errorCode(new ModelUnavailableError('no model')), 'unavailable');
});

test('anything outside the taxonomy is internal, whatever its name says', () => {
  const named = new Error('looks like input');
  named.name = 'ImagingError';
  assert.equal(errorCode(named), 'internal');
  const fake = Object.assign(new Error('x'), { code: 'bad-input' });
  assert.equal(errorCode(fake), 'internal', 'a code property alone does not make an error user-facing');
  assert.equal(errorCode(new TypeError('x is undefined')), 'internal');
  assert.equal(errorCode('a thrown string'), 'internal');
  assert.equal(toApiError(new TypeError('x is undefined')).message, 'internal error: x is undefined');
  const abort = new DOMException('stopped', 'AbortError');
  assert.equal(errorCode(abort), 'cancelled');
});

test('a refused request is invalid-request; errorMessage reads what third-party code throws', () => {
  const parsed = z.object({ a: z.number() }).safeParse({ a: 'x' });
  assert.equal(parsed.success, false);
  if (!parsed.success) assert.equal(toApiError(parsed.error).code, 'invalid-request');
  assert.equal(errorMessage('plain'), 'plain');
  assert.equal(errorMessage({ exception: new Error('inner') }), 'inner');
  assert.equal(errorMessage({ message: 'object message' }), 'object message');
  assert.equal(errorMessage(42), '42');
});

test('dispatch logs a bug with its stack, and never logs user errors', async () => {
  const logged: string[] = [];
  const table: Partial<ServiceTable> = {};
  for (const ch of CHANNELS) (table as Record<string, () => Promise<never>>)[ch] = async () => { throw new Error('never here'); };
  table['audit:verify'] = async () => { throw new RangeError('index out of range'); };
  table['audit:get'] = async () => { throw new NotFoundError('no finding f1'); };
  table['app:info'] = async () => { throw new IntegrityError('event 3 was changed'); };
  const dispatch = createDispatch(table as ServiceTable, (l) => logged.push(l));
  assert.deepEqual(await dispatch('audit:get', { findingId: 'f1' }), { ok: false, error: { code: 'not-found', message: 'no finding f1' } });
  assert.deepEqual(await dispatch('app:info', {}), { ok: false, error: { code: 'integrity', message: 'event 3 was changed' } });
  assert.equal(logged.length, 0);
  const bug = await dispatch('audit:verify', {});
  assert.deepEqual(bug, { ok: false, error: { code: 'internal', message: 'internal error: index out of range' } });
  assert.equal(logged.length, 1);
  assert.match(logged[0]!, /RangeError: index out of range\n\s+at /);
});
