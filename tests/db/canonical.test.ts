import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalFlat, canonicalJson, parseCanonical } from '../../db/canonical';

test('canonical JSON: sorted keys, exact round trip of NaN, ±Infinity and -0, nested', () => {
  const value = { b: [1, NaN, { z: -0, a: Infinity }], a: { y: -Infinity, x: 'x' }, c: null, d: undefined, e: 0.1 + 0.2 };
  const text = canonicalJson(value);
  assert.equal(text.indexOf('"a"') < text.indexOf('"b"'), true);
  assert.equal(canonicalJson({ b: 1, a: 2 }), canonicalJson({ a: 2, b: 1 }));
  const back = parseCanonical(text) as typeof value;
  assert.deepStrictEqual(back, { b: [1, NaN, { z: -0, a: Infinity }], a: { y: -Infinity, x: 'x' }, c: null, e: 0.30000000000000004 });
  assert.ok(Object.is((back.b[2] as { z: number }).z, -0));
  // A look-alike that is not a tag stays an object.
  assert.deepStrictEqual(parseCanonical(canonicalJson({ k: { $f64: 'hello' } })), { k: { $f64: 'hello' } });
  assert.deepStrictEqual(parseCanonical(canonicalJson({ k: { $f64: 'NaN', other: 1 } })), { k: { $f64: 'NaN', other: 1 } });
  assert.throws(() => canonicalJson({ f: () => 1 }), /cannot store function at \$\.f/);
  assert.throws(() => canonicalJson({ m: new Float32Array(2) }), /typed arrays are stored as blobs/);
  assert.equal(canonicalFlat(['a', 1, null]), '["a",1,null]');
  assert.equal(canonicalFlat([NaN]), canonicalJson([NaN]));
});
