import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boxFrom, extendStroke, nextTool, outlineFrom, type Point } from '../../renderer/src/region/drawing';
import { MAX_OUTLINE_POINTS } from '../../electron/api/contract';

test('a box from two corners dragged in any direction', () => {
  assert.deepEqual(boxFrom([30, 40], [10, 15]), { kind: 'box', x: 10, y: 15, width: 20, height: 25 });
  assert.deepEqual(boxFrom([10, 15], [30, 40]), { kind: 'box', x: 10, y: 15, width: 20, height: 25 });
  assert.equal(boxFrom([10, 10], [10.5, 30]), null, 'a click or a line is no box');
});

test('a freehand stroke: still points are dropped, a closed loop is an outline, a line is none', () => {
  let s: Point[] = [[0, 0]];
  s = extendStroke(s, [0.5, 0], 2);
  assert.equal(s.length, 1, 'closer than the step: not added');
  s = extendStroke(s, [10, 0], 2);
  s = extendStroke(s, [10, 10], 2);
  s = extendStroke(s, [0, 10], 2);
  assert.deepEqual(outlineFrom(s), { kind: 'outline', points: [[0, 0], [10, 0], [10, 10], [0, 10]] });
  assert.equal(outlineFrom([[0, 0], [10, 0], [20, 0], [10, 0]]), null, 'back and forth along a line encloses nothing');
  assert.equal(outlineFrom([[0, 0], [10, 0]]), null);
});

test('a long stroke is thinned to what the contract accepts', () => {
  const n = 3 * MAX_OUTLINE_POINTS + 7;
  const circle: Point[] = Array.from({ length: n }, (_, i) => [100 + 50 * Math.cos((2 * Math.PI * i) / n), 100 + 50 * Math.sin((2 * Math.PI * i) / n)]);
  const r = outlineFrom(circle);
  assert.ok(r && r.kind === 'outline');
  assert.ok(r.points.length <= MAX_OUTLINE_POINTS && r.points.length > MAX_OUTLINE_POINTS / 2, `${r.points.length} points`);
});

test('the tool cycles off → box → outline → off', () => {
  assert.deepEqual([nextTool('off'), nextTool('box'), nextTool('outline')], ['box', 'outline', 'off']);
});
