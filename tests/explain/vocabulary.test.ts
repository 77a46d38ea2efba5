// How much of the report the model's vocabulary covers: an explanation of a report in another
// language (nearly every word the one unknown token) says so; one in the model's language does not.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { loadClipBundle, type ClipBundle } from '../../native-models/clip/bundle';
import { explain } from '../../native-models/explain/index';
import { coverageWarning, reportWords, vocabularyCoverage } from '../../native-models/explain/words';
import { scanImageFromFile } from '../../electron/cli/commands/explain';
import type { ScanImage } from '../../native-models/clip/preprocess';
import { MINI, REF, readCase, readPng } from '../clip/helpers';

const DEMO = join(import.meta.dirname, '../../native-models/demo');
const FRENCH = "Pas d'épanchement pleural; petit nodule du lobe inférieur gauche.";
const SPANISH = 'Sin derrame pleural; pequeño nódulo en el lóbulo inferior izquierdo.';

let demo: ClipBundle;
let mini: ClipBundle;
let scan: ScanImage;
before(async () => {
  demo = await loadClipBundle(join(DEMO, 'bundle'), { prefer: 'cpu' });
  mini = await loadClipBundle(MINI, { prefer: 'cpu' });
  scan = (await scanImageFromFile(join(DEMO, 'studies/demo-01.dcm'), 1, null)).image;
});
after(async () => {
  await demo?.dispose();
  await mini?.dispose();
});

const coverageWarnings = (w: string[]): string[] => w.filter((x) => /in the model's vocabulary/.test(x));

test("the demo model's shipped English reports: every word known, no warning", async () => {
  for (const n of ['01', '02', '03', '04', '05']) {
    const text = readFileSync(join(DEMO, `studies/demo-${n}.report.txt`), 'utf8');
    const tok = demo.tokenize(text);
    const c = vocabularyCoverage(reportWords(text, tok.tokens), tok.tokens, demo.tokenizer.unknownId)!;
    assert.ok(c.words >= 10);
    assert.deepEqual([c.known, c.unknown], [c.words, []], `demo-${n}`);
    const e = await explain(demo, scan, text, { method: 'gradcam', target: 'text', metrics: false });
    assert.deepEqual(coverageWarnings(e.warnings), [], `demo-${n}`);
  }
});

test('a French and a Spanish report on the demo model: a warning with the right counts and the unknown words', async () => {
  const fr = await explain(demo, scan, FRENCH, { method: 'nib', target: 'both', metrics: false });
  const [w] = coverageWarnings(fr.warnings);
  assert.ok(w, fr.warnings.join(' | '));
  assert.match(w, /^only 3 of 10 words are in the model's vocabulary \(not: “Pas”, “d”, “épanchement”, “petit”, “du”, …\)/);
  const es = await explain(demo, scan, SPANISH, { method: 'nib', target: 'image', metrics: false });
  assert.match(coverageWarnings(es.warnings)[0] ?? '', /^only 1 of 10 words are in the model's vocabulary \(not: “Sin”, “derrame”, “pequeño”/);
});

test('the threshold: 5 of 7 known words warns, 11 of 12 does not (mini-clip reference cases)', async () => {
  const case08 = readCase('case08');
  const e8 = await explain(mini, readPng(join(REF, case08.image)), case08.text, { method: 'gradcam', layer: case08.layer, target: 'text', metrics: false });
  assert.match(coverageWarnings(e8.warnings)[0] ?? '', /^only 5 of 7 words .*\(not: “sided”, “shift”\)/);
  const case06 = readCase('case06');
  const e6 = await explain(mini, readPng(join(REF, case06.image)), case06.text, { method: 'gradcam', layer: case06.layer, target: 'text', metrics: false });
  assert.deepEqual(coverageWarnings(e6.warnings), []);
  const tok = mini.tokenize(case06.text);
  assert.deepEqual(vocabularyCoverage(reportWords(case06.text, tok.tokens), tok.tokens, mini.tokenizer.unknownId), { words: 12, known: 11, unknown: ['5mm'] });
});

test('no unknown token (byte-level BPE): coverage is complete by construction and nothing is said', () => {
  assert.equal(vocabularyCoverage([], [], null), null);
  assert.equal(coverageWarning(null), null);
  assert.equal(coverageWarning({ words: 0, known: 0, unknown: [] }), null);
  assert.equal(coverageWarning({ words: 5, known: 4, unknown: ['x'] }), null, '80% is enough');
});
