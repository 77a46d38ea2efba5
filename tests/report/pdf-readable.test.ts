/**
 * The PDF as an auditor reads it, read back with poppler: readable labels with units instead of
 * internal keys, the method's display name, the study and file, times with their zone, one page
 * per finding with its decision on that page.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditStore } from '../../db/audit-store';
import { formatTime, type Explanation, type RecordedFinding } from '../../electron/api/contract';
import { renderFindingsPdf } from '../../electron/report/pdf';
import { pdfInputsFor } from '../../electron/report/finding-report';
import { makeExplanation, makeInput, tempDir } from '../db/helpers';

/** An M2IB explanation with the parameters and metrics a real run records (explain() and the explain service). */
function m2ibExplanation(seed: number, text?: string): Explanation {
  const e = makeExplanation({ seed, method: 'm2ib', text });
  e.params = {
    layer: 8, steps: 10, target: 'both', letterbox: false, windowCenter: 40, windowWidth: 400,
    'm2ib.beta': 0.1, 'm2ib.iterations': 10, 'm2ib.lr': 1, 'm2ib.batch': 10, 'm2ib.seed': 0,
  };
  e.metrics = { vdrop: 77.93, vincr: 0, deletionAuc: 0.2134, insertionAuc: 0.7412, tdrop: 12.52, tincr: 100 };
  return e;
}

/** With storeIdentifying, the scan's file name is stored (the app stores it only when the user allows identifying fields). */
function record(store: AuditStore, seed: number, opts: { text?: string; storeIdentifying?: boolean } = {}): RecordedFinding {
  const input = makeInput({ seed, study: `Nodule, right upper zone · patient-smith-${seed}.dcm`, storeIdentifying: opts.storeIdentifying ?? true });
  input.explanation = m2ibExplanation(seed, opts.text);
  return store.recordFinding(input);
}

function pageCount(file: string): number {
  return Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))![1]);
}

function pageText(file: string, page: number): string {
  return execFileSync('pdftotext', ['-enc', 'UTF-8', '-f', String(page), '-l', String(page), file, '-'], { encoding: 'utf8' });
}

/** pdftotext breaks lines where the PDF wraps them; the assertions read words, not layout. */
const flat = (s: string) => s.replace(/\s+/g, ' ');

test('three findings make three pages, each with its entry, decision, study, file and UTC time', async () => {
  const { dir, cleanup } = tempDir('candor-pdf-');
  try {
    const store = AuditStore.open(join(dir, 'audit.db'));
    const recs = [1, 2, 3].map((seed) => record(store, seed));
    const file = join(dir, 'three.pdf');
    writeFileSync(file, await renderFindingsPdf(await pdfInputsFor(store, recs.map((r) => r.findingId), { includeIdentifying: false })));
    assert.equal(pageCount(file), 3, 'one page per finding');
    recs.forEach((rec, i) => {
      const text = flat(pageText(file, i + 1));
      assert.ok(text.includes(`Audit entry #${rec.seq}`), `page ${i + 1} names entry #${rec.seq}`);
      assert.ok(text.includes(`Decision on the model’s explanation: ${rec.decision}`), `page ${i + 1} carries the decision of entry #${rec.seq}`);
      assert.ok(text.includes(`Reviewer: ${rec.reviewer} · recorded ${formatTime(rec.time)}`), `page ${i + 1}: reviewer and time`);
      assert.match(formatTime(rec.time), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
      assert.ok(text.includes('Study: Nodule, right upper zone'), 'the study');
      assert.ok(text.includes(`File: patient-smith-${i + 1}.dcm · frame 1`), 'the file name');
      assert.ok(text.includes(`page ${i + 1} of 3 · all times UTC`), 'the footer says the time zone');
      for (const other of recs.filter((r) => r !== rec)) assert.ok(!text.includes(`entry #${other.seq} `), `page ${i + 1} shows no other entry`);
    });
    store.close();
  } finally {
    cleanup();
  }
});

test('metrics and parameters are labelled in words with units and direction; no internal key is printed', async () => {
  const { dir, cleanup } = tempDir('candor-pdf-');
  try {
    const store = AuditStore.open(join(dir, 'audit.db'));
    const rec = record(store, 4);
    const file = join(dir, 'one.pdf');
    writeFileSync(file, await renderFindingsPdf(await pdfInputsFor(store, [rec.findingId], { includeIdentifying: false })));
    const text = flat(pageText(file, 1));
    for (const wanted of [
      'Method: M2IB',
      'Confidence drop when only the highlighted region is kept 77.9',
      'cosine similarity × 100, ≥ 0; lower = the map explains more',
      'Confidence increase when only the highlighted region is kept 0',
      'Similarity while the most highlighted pixels are removed (deletion AUC) 0.213',
      'Similarity while the most highlighted pixels are revealed (insertion AUC) 0.741',
      'mean cosine similarity, −1 to 1; higher = the map explains more',
      'Confidence drop when only the highlighted words are kept 12.5',
      'lower = the word scores explain more',
      'Weight of the capacity term in the loss 0.1',
      'Adam learning rate 1',
      'Adam iterations of the bottleneck 10',
      'Integration steps 10 not used by M2IB',
      'centre crop (a wide or tall scan loses its edges)',
      'centre 40, width 400',
      'Image–report similarity:',
      'cosine similarity of the scan’s and the report’s embeddings, −1 to 1',
    ]) assert.ok(text.includes(wanted), `the page says "${wanted}"`);
    const unnamed = record(store, 6, { storeIdentifying: false });
    const unnamedFile = join(dir, 'unnamed.pdf');
    writeFileSync(unnamedFile, await renderFindingsPdf(await pdfInputsFor(store, [unnamed.findingId], { includeIdentifying: false })));
    const unnamedText = flat(pageText(unnamedFile, 1));
    assert.ok(unnamedText.includes('File: name not stored (identifying fields not allowed) · frame 1'), 'a file name not stored is said so');
    assert.ok(unnamedText.includes('Study: Nodule, right upper zone · patient-smith-6.dcm'), 'the study label as recorded');
    for (const key of ['deletionAuc', 'insertionAuc', 'tdrop', 'vdrop', 'vincr', 'tincr', 'letterbox', 'm2ib.lr', 'm2ib.beta', 'windowCenter', 'm2ib']) {
      assert.ok(!text.includes(key), `the internal key "${key}" is not printed`);
    }
    if (process.env.CANDOR_KEEP_PDF) {
      mkdirSync('tests/output', { recursive: true });
      execFileSync('pdftoppm', ['-r', '80', '-png', '-f', '1', '-l', '1', file, 'tests/output/pdf-finding-page']);
    }
    store.close();
  } finally {
    cleanup();
  }
});

test('a report text too long for one page runs onto the next, which repeats the entry; the decision stays on the first', async () => {
  const { dir, cleanup } = tempDir('candor-pdf-');
  try {
    const store = AuditStore.open(join(dir, 'audit.db'));
    const long = Array.from({ length: 90 }, (_, i) => `Sentence ${i} describes the ${['left', 'right'][i % 2]} lobe in some detail.`).join(' ');
    const rec = record(store, 5, { text: long });
    const file = join(dir, 'long.pdf');
    writeFileSync(file, await renderFindingsPdf(await pdfInputsFor(store, [rec.findingId], { includeIdentifying: false })));
    const pages = pageCount(file);
    assert.ok(pages >= 2, `${pages} pages`);
    assert.ok(flat(pageText(file, 1)).includes(`Decision on the model’s explanation: ${rec.decision}`));
    for (let p = 2; p <= pages; p++) assert.ok(pageText(file, p).includes(`Audit entry #${rec.seq} (continued)`), `page ${p} repeats the entry`);
    assert.ok(flat(pageText(file, pages)).includes(rec.eventHash), 'the provenance ends the finding');
    store.close();
  } finally {
    cleanup();
  }
});
