// The NegEx-style detector over radiology phrasings, both ways, and the sentence splitter it reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { negation, reportSentences, splitSentences } from '../../native-models/explain/sentences';

/** [sentence, the words the trigger denies] */
const NEGATED: [string, string][] = [
  ['No pneumothorax.', 'pneumothorax'],
  ['There is no pleural effusion.', 'pleural effusion'],
  ['No mass is seen.', 'mass is seen'],
  ['Pleural effusion is not seen.', 'Pleural effusion'],
  ['The lungs are without evidence of effusion.', 'evidence of effusion'],
  ['Negative for pneumothorax.', 'pneumothorax'],
  ['The previously seen consolidation has resolved.', 'The previously seen consolidation'],
  ['Resolved right lower lobe consolidation.', 'right lower lobe consolidation'],
  ['Lungs are free of focal consolidation.', 'focal consolidation'],
  ['No evidence of pneumothorax or effusion.', 'pneumothorax or effusion'],
  ['No focal consolidation, pneumothorax or pleural effusion.', 'focal consolidation, pneumothorax or pleural effusion'],
  ['A nodule is not identified.', 'A nodule'],
  ['Effusion is no longer present.', 'Effusion'],
  ['Absent lung markings at the right apex.', 'lung markings at the right apex'],
  ['Cardiomegaly is absent.', 'Cardiomegaly'],
  ['Small left effusion but no pneumothorax.', 'pneumothorax'],
  ['Pneumothorax has been ruled out.', 'Pneumothorax'],
  ['There are no signs of pneumonia.', 'pneumonia'],
];

/** Stated, doubted or said to be unchanged: the finding is there (or may be). */
const NOT_NEGATED = [
  'Solitary nodule in the right upper zone.',
  'The mediastinum is normal.',
  'Heart size is normal.',
  'Small left pleural effusion.',
  // "no change" asserts stability of something present: the nodule is there, so the sentence is not negated.
  'No change in the nodule.',
  'No interval change in the right upper zone nodule.',
  'The nodule is not significantly changed.',
  'Left lower zone consolidation without change.',
  'There is a new nodule, not previously seen.',
  'Pneumothorax cannot be excluded.',
  'A small effusion is not ruled out.',
  'Moderate right-sided pneumothorax.',
  'The cardiac silhouette is enlarged.',
  'Knotted nodular opacities.',
  'No.',
];

test('negated radiology phrasings are flagged, with the words they deny', () => {
  for (const [s, scope] of NEGATED) {
    const n = negation(s);
    assert.equal(n.negated, true, `"${s}" is negated`);
    assert.equal(n.scope && s.slice(n.scope.start, n.scope.end), scope, `"${s}": scope`);
    assert.ok(n.cue && s.toLowerCase().includes(n.cue.toLowerCase()), `"${s}": the cue "${n.cue}" is in the sentence`);
  }
});

test('stated, doubted and unchanged findings are not flagged ("no change in the nodule" is not negated)', () => {
  for (const s of NOT_NEGATED) assert.deepEqual(negation(s), { negated: false, cue: null, scope: null }, `"${s}" is not negated`);
});

test('the report splits into sentences with their spans, each with its negation', () => {
  const report = 'Solitary nodule in the right upper zone. No mass is seen. There is no pleural effusion. The mediastinum is normal.';
  const s = reportSentences(report);
  assert.deepEqual(s.map((x) => x.text), ['Solitary nodule in the right upper zone.', 'No mass is seen.', 'There is no pleural effusion.', 'The mediastinum is normal.']);
  assert.deepEqual(s.map((x) => x.negated), [false, true, true, false]);
  for (const x of s) assert.equal(report.slice(x.start, x.end), x.text);
  assert.deepEqual(splitSentences('Line one\nline two.  '), [{ start: 0, end: 8, text: 'Line one' }, { start: 9, end: 18, text: 'line two.' }]);
});
