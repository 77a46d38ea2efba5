/**
 * The explanation as the screen shows it: settings checked against the contract's limits and stated
 * back with the one display name per method, results superseded or kept as the job reducer says,
 * failures acted on by their code, and constant attributions drawn as nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { METHOD_SPECS, STEPS, type Explanation } from '../../electron/api/contract';
import { checkSettings, DEFAULT_SETTINGS, describeExplanation, settingsKey } from '../../renderer/src/explain/settings';
import { explainRequests } from '../../renderer/src/explain/requests';
import { drawableMap, warningsOf, wordShading } from '../../renderer/src/explain/attribution';
import { jobReducer, type JobState } from '../../renderer/src/explain/useExplainJob';
import { checkExplanation, ExplainCancelled, ExplainFailed } from '../../renderer/src/explain/runJob';
import { ApiFailure } from '../../renderer/src/api';
import { errorCode, errorMessage } from '../../renderer/src/errors';

function explanation(overrides: Partial<Explanation> = {}): Explanation {
  return {
    id: 'e1', method: 'nib', params: { layer: 4, steps: 10, target: 'both' }, similarity: 0.3,
    model: { name: 'm', sha256: 'a'.repeat(64) }, input: { scanSha256: 'b', frame: 1, text: 'left upper zone', textSha256: 'c' },
    provider: 'cpu', image: null, text: null, metrics: {}, timings: {}, warnings: [], ...overrides,
  };
}
const words = (raws: number[], normalized: number[]) => ({
  tokens: [],
  words: raws.map((raw, i) => ({ text: ['left', 'upper', 'zone'][i]!, start: [0, 5, 11][i]!, end: [4, 10, 15][i]!, raw, normalized: normalized[i]! })),
});
const map = (values: number[], w: number, h: number) => ({ grid: [2, 2] as [number, number], tokenScores: [], map: { width: w, height: h, values: new Float32Array(values) } });

test('settings are checked against the contract’s STEPS and LAYER limits', () => {
  assert.equal(DEFAULT_SETTINGS.steps, String(STEPS.default));
  assert.deepEqual(checkSettings({ ...DEFAULT_SETTINGS, compare: 'gradcam' }), { ok: true, settings: { methods: ['nib', 'gradcam'], layer: undefined, steps: 10, target: 'both', modelSees: 'default', sanity: false, precision: 'fp32' } });
  assert.match((checkSettings({ ...DEFAULT_SETTINGS, steps: String(STEPS.max + 1) }) as { message: string }).message, new RegExp(`from ${STEPS.min} to ${STEPS.max}, not “${STEPS.max + 1}”`));
  assert.equal(checkSettings({ ...DEFAULT_SETTINGS, steps: '' }).ok, false);
  assert.equal(checkSettings({ ...DEFAULT_SETTINGS, layer: '2.5' }).ok, false);
  assert.equal(checkSettings({ ...DEFAULT_SETTINGS, layer: '-1' }).ok, false);
  assert.notEqual(settingsKey(DEFAULT_SETTINGS), settingsKey({ ...DEFAULT_SETTINGS, method: 'm2ib' }), 'another method is another request');
  assert.equal(settingsKey(DEFAULT_SETTINGS), settingsKey({ ...DEFAULT_SETTINGS, steps: ' 10' }), 'the same numbers are the same request');
  const r = explainRequests({ scan: { id: 's1', channels: 1 } as never, frame: 2, text: '  Heart normal. ', settings: { ...DEFAULT_SETTINGS, modelSees: 'screen' }, screenWindow: { center: 40, width: 0 } });
  assert.deepEqual(r, { ok: true, requests: [{ scanId: 's1', frame: 2, text: 'Heart normal.', method: 'nib', steps: 10, layer: undefined, target: 'both', window: { center: 40, width: 1 }, sanity: false, precision: 'fp32' }] });
  // int8 is opt-in and goes only to a method that offers it: the method compared with runs fp32.
  const int8 = explainRequests({ scan: { id: 's1', channels: 1 } as never, frame: 1, text: 'x', settings: { ...DEFAULT_SETTINGS, compare: 'gradcam', precision: 'int8' }, screenWindow: null });
  assert.deepEqual(int8.ok && int8.requests.map((q) => [q.method, q.precision]), [['nib', 'int8'], ['gradcam', 'fp32']]);
  assert.notEqual(settingsKey(DEFAULT_SETTINGS), settingsKey({ ...DEFAULT_SETTINGS, precision: 'int8' }), 'another precision is another request');
  assert.deepEqual(explainRequests({ scan: null, frame: 1, text: 'x', settings: DEFAULT_SETTINGS, screenWindow: null }), { ok: false, message: 'Open a scan first.' });
});

test('a result states its settings with the method’s one display name, and only the settings the method reads', () => {
  assert.equal(describeExplanation(explanation()), 'NIB · layer 4 · steps 10 · image + text');
  assert.equal(describeExplanation(explanation({ params: { layer: 4, steps: 10, target: 'both', precision: 'int8' } })), 'NIB · layer 4 · steps 10 · image + text · int8');
  assert.equal(describeExplanation(explanation({ method: 'ig', params: { layer: 4, steps: 20, target: 'text' } })), `${METHOD_SPECS.ig.label} · steps 20 · text`);
  assert.equal(describeExplanation(explanation({ method: 'gradcam' })), 'Grad-CAM · layer 4 · image + text');
  assert.equal(describeExplanation(explanation({ method: 'rise' })), 'RISE · image + text');
});

test('the job reducer: a new result replaces the comparison, a scan change clears, a settings change dismisses only failures', () => {
  const idle: JobState = { phase: { state: 'idle' }, explanation: null, comparison: null, shownKey: null };
  let s = jobReducer(idle, { type: 'result', explanation: explanation(), first: true, key: 'k1' });
  s = jobReducer(s, { type: 'result', explanation: explanation({ id: 'e2', method: 'gradcam' }), first: false, key: 'k1' });
  assert.equal(s.comparison?.id, 'e2');
  s = jobReducer(s, { type: 'result', explanation: explanation({ id: 'e3' }), first: true, key: 'k2' });
  assert.deepEqual([s.explanation?.id, s.comparison, s.shownKey], ['e3', null, 'k2']);
  const failed = jobReducer(s, { type: 'failed', code: 'bad-input', message: 'Steps must…' });
  assert.deepEqual(jobReducer(failed, { type: 'dismiss' }).phase, { state: 'idle' });
  assert.equal(jobReducer(failed, { type: 'dismiss' }).explanation?.id, 'e3', 'the result stays, marked by its key');
  const running = jobReducer(s, { type: 'progress', progress: 0.5, stage: 'image', label: 'NIB' });
  assert.equal(jobReducer(running, { type: 'dismiss' }).phase.state, 'running', 'a running job is not dismissed');
  assert.deepEqual(jobReducer(running, { type: 'clear' }), idle);
});

test('failures carry their taxonomy code: cancelled is quiet, unavailable is the model, the rest show their message', () => {
  assert.equal(errorCode(new ApiFailure({ code: 'unavailable', message: 'no model bundle is configured' })), 'unavailable');
  assert.equal(errorMessage(new ApiFailure({ code: 'bad-input', message: 'already recorded' })), 'already recorded');
  assert.equal(errorCode(new ExplainCancelled()), 'cancelled');
  assert.equal(errorCode(new ExplainFailed('NaN')), 'model-output');
  assert.equal(errorCode(new Error('bug')), 'internal');
  assert.equal(errorMessage({ message: 'plain object' }), 'plain object');
  assert.equal(errorMessage('a string'), 'a string');
});

test('a constant text attribution shades no word; a varying one does', () => {
  const flat = explanation({ text: words([0, 0, 0], [1, 1, 1]) });
  assert.deepEqual(wordShading(flat), { shaded: false, reason: 'the text attribution is the same for every word (raw 0): no word is shaded' });
  assert.match(warningsOf(flat).join('\n'), /text attribution is the same for every word/);
  const said = explanation({ text: words([0, 0, 0], [0, 0, 0]), warnings: ['the text attribution is all zero'] });
  assert.deepEqual(wordShading(said), { shaded: false, reason: null });
  assert.deepEqual(warningsOf(said), ['the text attribution is all zero'], 'the explainer’s own warning is not repeated');
  assert.deepEqual(wordShading(explanation({ text: words([0.1, 0.5, 0.2], [0, 1, 0.25]) })), { shaded: true, reason: null });
});

test('an image attribution that is empty or constant draws no overlay and is not refused', () => {
  const empty = explanation({ image: map([], 0, 0), warnings: ['the image attribution is all zero: no map is drawn'] });
  assert.equal(checkExplanation(empty).id, 'e1', 'a 0×0 map is the explainer’s “no map”, not a broken result');
  assert.deepEqual(drawableMap(empty), { map: null, reason: null });
  const constant = explanation({ image: map([1, 1, 1, 1], 2, 2) });
  assert.deepEqual(drawableMap(constant), { map: null, reason: 'the image attribution is the same everywhere: no map is drawn' });
  const varying = explanation({ image: map([0, 0.5, 1, 0.2], 2, 2) });
  assert.equal(drawableMap(varying).map, varying.image!.map);
  assert.throws(() => checkExplanation(explanation({ image: map([0, 1, 1], 2, 2) })), /holds 3 values/, 'a wrong map is still refused');
});
