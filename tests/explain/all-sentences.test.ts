/**
 * The whole report at once: `candor explain --all-sentences` on demo-01's 4-sentence report gives
 * 4 explanations in one job, negated sentences flagged, each the same as explaining that sentence
 * alone (sharing the image's work changes no number).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { explainCommand } from '../../electron/cli/commands/explain';
import { loadClipBundle } from '../../native-models/clip/bundle';
import { explain } from '../../native-models/explain/index';
import { explainSentences } from '../../native-models/explain/all-sentences';
import { scanImageFromFile } from '../../electron/cli/commands/explain';

const ROOT = join(import.meta.dirname, '..', '..');
const DEMO = join(ROOT, 'native-models', 'demo');
const REPORT = 'Solitary nodule in the right upper zone. No mass is seen. There is no pleural effusion. The mediastinum is normal.';

test('--all-sentences: 4 sentences, 4 explanations in one JSON, negated ones flagged and warned about', async () => {
  let out = '';
  let err = '';
  const code = await explainCommand(['--model', join(DEMO, 'bundle'), '--image', join(DEMO, 'studies', 'demo-01.png'), '--text', REPORT, '--all-sentences', '--no-metrics', '--json', '-', '--quiet', '--prefer', 'cpu'], { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  assert.equal(code, 0, err);
  const json = JSON.parse(out);
  assert.equal(json.sentences.length, 4);
  assert.deepEqual(json.sentences.map((s: { sentence: { negated: boolean } }) => s.sentence.negated), [false, true, true, false]);
  assert.deepEqual(json.sentences.map((s: { sentence: { cue: string | null } }) => s.sentence.cue), [null, 'No', 'no', null]);
  for (const { sentence, ...s } of json.sentences) {
    assert.equal(REPORT.slice(sentence.start, sentence.end), sentence.text);
    assert.equal(s.image.grid.join('×'), '12×12');
    assert.equal(s.text.words.map((w: { text: string }) => w.text).join(' '), sentence.text.replace(/\.$/, ''));
    assert.equal(s.warnings.some((w: string) => w.startsWith('the text denies a finding')), sentence.negated);
  }
  const refused = await explainCommand(['--model', join(DEMO, 'bundle'), '--image', join(DEMO, 'studies', 'demo-01.png'), '--text', REPORT, '--all-sentences', '--db', join(ROOT, 'x.db'), '--reviewer', 'a', '--decision', 'agree'], { stdout: () => undefined, stderr: (s) => (err = s) });
  assert.equal(refused, 2);
});

test('each sentence explained with the others equals it explained alone', async () => {
  const bundle = await loadClipBundle(join(DEMO, 'bundle'), { prefer: 'cpu' });
  try {
    const image = (await scanImageFromFile(join(DEMO, 'studies', 'demo-01.png'), 1, null)).image;
    const all = await explainSentences(bundle, image, REPORT, { method: 'nib', target: 'both', metrics: false });
    assert.equal(all.length, 4);
    for (const { sentence, explanation: e } of all) {
      const alone = await explain(bundle, image, sentence.text, { method: 'nib', target: 'both', metrics: false });
      assert.equal(e.similarity, alone.similarity, sentence.text);
      assert.deepEqual(e.image!.tokenScores, alone.image!.tokenScores, sentence.text);
      assert.deepEqual(e.text!.words, alone.text!.words, sentence.text);
    }
  } finally {
    await bundle.dispose();
  }
});

test('the app\'s explain request with allSentences: one job, every sentence back with its negation, each recordable', async () => {
  const { openServices } = await import('../electron/services-harness');
  const s = openServices(join(DEMO, 'bundle'));
  try {
    const scan = await s.call('scan:open', { path: join(DEMO, 'studies', 'demo-01.dcm') });
    const { jobId } = await s.call('explain:start', { scanId: scan.id, text: REPORT, allSentences: true, target: 'image' });
    const done = await s.waitForJob(jobId);
    assert.equal(done.state, 'done');
    const sentences = (done as Extract<typeof done, { state: 'done' }>).sentences!;
    assert.deepEqual(sentences.map((x) => [x.sentence.text, x.sentence.negated, x.explanation.input.text]), [
      ['Solitary nodule in the right upper zone.', false, 'Solitary nodule in the right upper zone.'],
      ['No mass is seen.', true, 'No mass is seen.'],
      ['There is no pleural effusion.', true, 'There is no pleural effusion.'],
      ['The mediastinum is normal.', false, 'The mediastinum is normal.'],
    ]);
    const rec = await s.call('finding:record', { explanationId: sentences[2].explanation.id, reviewer: 'Dr. All', decision: 'agree', note: '' });
    assert.ok(rec.seq > 0);
    const plain = await s.waitForJob((await s.call('explain:start', { scanId: scan.id, text: REPORT, target: 'image' })).jobId);
    assert.equal((plain as { sentences?: unknown }).sentences, undefined, 'without the option: one explanation of the whole text');
  } finally {
    await s.services.dispose();
  }
});
