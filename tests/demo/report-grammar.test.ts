import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FINDING_TYPES, samplePhantom } from '../../native-models/demo/phantom';
import { writeReport } from '../../native-models/demo/report-grammar';
import { buildTokenizerFiles, collectVocabulary, CONTEXT_LENGTH, makeEncoder, splitWords } from '../../native-models/demo/vocabulary';

const NEGATION = /\b(no|not)\b|within normal limits|normal cardiac|is normal|are sharp|are clear/i;

test('reports are deterministic per seed and vary across seeds', () => {
  const spec = samplePhantom(11, [{ type: 'nodule', side: 'right', zone: 'upper' }]);
  assert.deepEqual(writeReport(spec.findings, 5), writeReport(spec.findings, 5));
  const texts = new Set<string>();
  for (let k = 0; k < 20; k++) texts.add(writeReport(spec.findings, k).text);
  assert.ok(texts.size >= 10, `only ${texts.size} distinct wordings`);
});

test('each finding gets a sentence naming its side and zone; spans index the text', () => {
  for (let s = 0; s < 300; s++) {
    const spec = samplePhantom(20_000 + s);
    const report = writeReport(spec.findings, s);
    const positives = report.sentences.filter((x) => x.kind === 'finding');
    assert.equal(positives.length, spec.findings.length);
    for (const sent of report.sentences) assert.equal(report.text.slice(sent.start, sent.end), sent.text);
    for (const sent of positives) {
      const f = spec.findings[sent.findingIndex ?? -1];
      const low = sent.text.toLowerCase();
      assert.ok(!/\bno\b|\bnot\b/.test(low), `positive sentence has a negation: ${sent.text}`);
      if (f.side) assert.ok(low.includes(f.side), `"${sent.text}" lacks side ${f.side}`);
      if (f.zone) assert.ok(low.includes(f.zone === 'middle' ? 'mid' : f.zone), `"${sent.text}" lacks zone ${f.zone}`);
    }
  }
});

test('absent findings are often negated with the same words a positive report uses', () => {
  const negatedTypes = new Map<string, number>();
  let normals = 0;
  for (let s = 0; s < 400; s++) {
    const spec = samplePhantom(30_000 + s);
    const report = writeReport(spec.findings, s);
    const present = new Set(spec.findings.map((f) => f.type));
    for (const sent of report.sentences.filter((x) => x.kind === 'negative')) {
      assert.match(sent.text, NEGATION, `negative sentence without a negation: ${sent.text}`);
      for (const t of sent.negates) {
        assert.ok(!present.has(t), `"${sent.text}" denies a present ${t}`);
        negatedTypes.set(t, (negatedTypes.get(t) ?? 0) + 1);
      }
    }
    if (spec.findings.length === 0) normals++;
  }
  for (const t of FINDING_TYPES) assert.ok((negatedTypes.get(t) ?? 0) > 40, `${t} negated only ${negatedTypes.get(t) ?? 0} times`);
  assert.ok(normals > 40);
  // "effusion" appears both affirmed and denied: the model must read the negation.
  const pos = writeReport(samplePhantom(1, [{ type: 'effusion', side: 'left' }]).findings, 3).text.toLowerCase();
  assert.ok(pos.includes('effusion'));
});

test('every report word is in the vocabulary and fits the context length', () => {
  const words = collectVocabulary();
  const files = buildTokenizerFiles(words);
  const vocab = new Set(words);
  const encode = makeEncoder(files);
  const eos = words.length + 2;
  for (let s = 0; s < 300; s++) {
    const spec = samplePhantom(40_000 + s);
    const text = writeReport(spec.findings, s).text;
    for (const w of splitWords(text)) assert.ok(vocab.has(w), `"${w}" not in vocabulary`);
    const ids = encode(text);
    assert.ok(ids.length <= CONTEXT_LENGTH);
    assert.equal(ids[ids.length - 1], eos);
    assert.equal(Math.max(...ids), eos, 'EOS must be the highest id (CLIP pools at argmax)');
    assert.ok(!ids.includes(0), `unknown token in "${text}"`);
  }
  assert.throws(() => encode('nodule '.repeat(80)), /more than the model's 64/);
});
