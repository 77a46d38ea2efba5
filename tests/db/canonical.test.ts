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

test('canonical JSON: +0 stays a plain 0, -0 and ±Infinity are tagged alike in the flat and the tree form', () => {
  assert.equal(canonicalJson(0), '0');
  assert.ok(Object.is((parseCanonical(canonicalJson({ z: 0 })) as { z: number }).z, 0), '+0 comes back as +0');
  for (const v of [-0, Infinity, -Infinity, NaN]) {
    assert.equal(canonicalFlat(['h', 1, v]), canonicalJson(['h', 1, v]), `flat form of ${Object.is(v, -0) ? '-0' : v}`);
    assert.match(canonicalFlat([v]), /\$f64/);
  }
  assert.equal(canonicalFlat(['a', 0, 1.5, null]), '["a",0,1.5,null]');
  assert.deepStrictEqual(parseCanonical(canonicalJson([-Infinity, Infinity])), [-Infinity, Infinity]);
  // A hole in an array is written as null (as JSON.stringify does), not dropped.
  assert.equal(canonicalJson([1, undefined, 2]), '[1,null,2]');
});

test('canonical JSON: where an unstorable value sits is named by its path', () => {
  assert.throws(() => canonicalJson({ a: [1, { b: () => 1 }] }), { message: 'cannot store function at $.a[1].b' });
  assert.throws(() => canonicalJson([Symbol('s')]), { message: 'cannot store symbol at $[0]' });
  assert.throws(() => canonicalJson({ x: { m: new Uint8Array(1) } }), { message: 'typed arrays are stored as blobs, not JSON (at $.x.m)' });
  assert.throws(() => canonicalJson(10n), { message: 'cannot store bigint at $' });
});

test('canonical JSON: a tag is an object with the tag key alone, in whatever order its keys come; tags nest in arrays', () => {
  assert.deepStrictEqual(parseCanonical('{"k":{"other":1,"$f64":"NaN"}}'), { k: { other: 1, $f64: 'NaN' } });
  assert.deepStrictEqual(parseCanonical('{"k":{"$f64":"-0","x":2}}'), { k: { $f64: '-0', x: 2 } });
  assert.deepStrictEqual(parseCanonical('{"$f64":"x","k":{}}'), { $f64: 'x', k: {} });
  const back = parseCanonical(canonicalJson({ a: [[NaN, [-0]], { b: [Infinity] }], s: '$f64' })) as { a: [[number, [number]], { b: number[] }]; s: string };
  assert.ok(Number.isNaN(back.a[0][0]));
  assert.ok(Object.is(back.a[0][1][0], -0));
  assert.deepStrictEqual(back.a[1], { b: [Infinity] });
  assert.equal(back.s, '$f64');
  assert.equal(parseCanonical('"$f64"'), '$f64');
  assert.equal(parseCanonical('null'), null);
});
