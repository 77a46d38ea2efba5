/**
 * The PDF report read back with poppler: text via pdftotext, pixels via pdftoppm.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditStore } from '../../db/audit-store';
import { formatTime, type RecordedFinding } from '../../electron/api/contract';
import { renderFindingsPdf, ReportError, type PdfInput } from '../../electron/report/pdf';
import { pdfInputsFor } from '../../electron/report/finding-report';
import { makeExplanation, makeInput, tempDir } from '../db/helpers';

const SCAN_GRAY = 100;
const W = 240;
const H = 180;

function flatScan(): { width: number; height: number; gray: Uint8Array } {
  return { width: W, height: H, gray: new Uint8Array(W * H).fill(SCAN_GRAY) };
}

function recordOne(dir: string): { store: AuditStore; rec: RecordedFinding } {
  const store = AuditStore.open(join(dir, 'audit.db'));
  const input = makeInput({ seed: 5, storeIdentifying: true });
  // Map hot around (0.7, 0.3) of the scan, 24×18 in scan coordinates (coarser than the scan).
  input.explanation = { ...makeExplanation({ seed: 5, similarity: 0.2468 }), image: null };
  const mw = 24;
  const mh = 18;
  const values = new Float32Array(mw * mh);
  for (let y = 0; y < mh; y++) for (let x = 0; x < mw; x++) values[y * mw + x] = Math.max(0, 1 - Math.hypot(x + 0.5 - 0.7 * mw, y + 0.5 - 0.3 * mh) / 4);
  input.explanation.image = { grid: [4, 4], tokenScores: new Array(16).fill(0.1), map: { width: mw, height: mh, values } };
  input.scan.patientName = 'Müller^Zoë Ωmega';
  return { store, rec: store.recordFinding(input) };
}

/** Parses binary PPM (P6) from pdftoppm. */
function readPpm(file: string): { width: number; height: number; rgb: Buffer } {
  const buf = readFileSync(file);
  const header = buf.subarray(0, 50).toString('latin1');
  const m = /^P6\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(header);
  assert.ok(m, 'pdftoppm wrote a P6 image');
  return { width: Number(m[1]), height: Number(m[2]), rgb: buf.subarray(m[0].length) };
}

/** Bounding boxes of the two flat-gray image panels (left: scan, right: overlay) in the top half of the page.
 *  Rows and columns count only with many scan-gray pixels, so anti-aliased text (also grayish) is ignored. */
function findPanels(img: { width: number; height: number; rgb: Buffer }): { x0: number; x1: number; y0: number; y1: number }[] {
  const isScanGray = (x: number, y: number) => {
    const i = (y * img.width + x) * 3;
    return Math.abs(img.rgb[i] - SCAN_GRAY) <= 3 && Math.abs(img.rgb[i + 1] - SCAN_GRAY) <= 3 && Math.abs(img.rgb[i + 2] - SCAN_GRAY) <= 3;
  };
  const half = Math.floor(img.width / 2);
  const rows = Math.floor(img.height / 2);
  return [[0, half], [half, img.width]].map(([lo, hi]) => {
    const rowCount = new Array<number>(rows).fill(0);
    const colCount = new Array<number>(hi - lo).fill(0);
    for (let y = 0; y < rows; y++) {
      for (let x = lo; x < hi; x++) {
        if (isScanGray(x, y)) {
          rowCount[y]++;
          colCount[x - lo]++;
        }
      }
    }
    const ys = rowCount.flatMap((n, y) => (n > 60 ? [y] : []));
    const xs = colCount.flatMap((n, x) => (n > 60 ? [x + lo] : []));
    return { x0: Math.min(...xs), x1: Math.max(...xs), y0: Math.min(...ys), y1: Math.max(...ys) };
  });
}

function pixel(img: { width: number; rgb: Buffer }, box: { x0: number; x1: number; y0: number; y1: number }, fx: number, fy: number): [number, number, number] {
  const x = Math.round(box.x0 + fx * (box.x1 - box.x0));
  const y = Math.round(box.y0 + fy * (box.y1 - box.y0));
  const i = (y * img.width + x) * 3;
  return [img.rgb[i], img.rgb[i + 1], img.rgb[i + 2]];
}

test('the PDF carries the model hash, similarity, audit hash and decision; identifying fields only when given', async () => {
  const { dir, cleanup } = tempDir('candor-pdf-');
  try {
    const { store, rec } = recordOne(dir);
    const [input] = await pdfInputsFor(store, [rec.findingId], { includeIdentifying: true });
    assert.equal(input.identifying?.patientName, 'Müller^Zoë Ωmega');
    const pdfFile = join(dir, 'r.pdf');
    writeFileSync(pdfFile, await renderFindingsPdf([{ ...input, scanImage: flatScan() }]));
    const text = execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', pdfFile, '-'], { encoding: 'utf8' });
    assert.ok(text.includes(rec.explanation.model.sha256), 'model hash');
    assert.ok(text.includes(rec.eventHash), 'audit event hash');
    assert.match(text, /similarity: 0\.2468/);
    assert.match(text, new RegExp(`Audit entry #${rec.seq}`));
    assert.ok(text.includes(`recorded ${formatTime(rec.time)}`), 'the time, in UTC and said so');
    assert.ok(text.includes(rec.decision));
    assert.ok(text.includes('note 5: Ünïcode ≥ ok'), 'the note, non-Latin-1 intact');
    assert.ok(text.includes('Müller^Zoë Ωmega'), 'patient name (allowed)');
    assert.ok(/≥\s*normal\s*→/.test(text), 'report text with ≥ and → through the embedded font');
    assert.ok(text.includes('0.1.0-test'), 'the app version that recorded it');
    assert.ok(text.includes('on cpu'), 'the provider');
    const words = execFileSync('pdftotext', ['-enc', 'UTF-8', pdfFile, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    assert.ok(words.includes('(deletion AUC) 0.210'), 'metrics, labelled');

    const [anon] = await pdfInputsFor(store, [rec.findingId], { includeIdentifying: false });
    const anonFile = join(dir, 'anon.pdf');
    writeFileSync(anonFile, await renderFindingsPdf([anon]));
    const anonText = execFileSync('pdftotext', ['-enc', 'UTF-8', anonFile, '-'], { encoding: 'utf8' });
    assert.ok(!anonText.includes('Müller'), 'no patient name when not allowed');
    assert.match(anonText, /patient: withheld/);
    store.close();
  } finally {
    cleanup();
  }
});

test('the rendered page shows viridis overlay colours where the map is high, and plain scan elsewhere', async () => {
  const { dir, cleanup } = tempDir('candor-pdf-');
  try {
    const { store, rec } = recordOne(dir);
    const [input] = await pdfInputsFor(store, [rec.findingId], { includeIdentifying: false });
    const pdfFile = join(dir, 'r.pdf');
    writeFileSync(pdfFile, await renderFindingsPdf([{ ...input, scanImage: flatScan() }]));
    execFileSync('pdftoppm', ['-r', '100', '-f', '1', '-l', '1', pdfFile, join(dir, 'page')]);
    const page = readPpm(join(dir, 'page-1.ppm'));
    if (process.env.CANDOR_KEEP_PDF) {
      mkdirSync('tests/output', { recursive: true });
      execFileSync('pdftoppm', ['-r', '80', '-png', '-f', '1', '-l', '1', pdfFile, 'tests/output/audit-report']);
    }
    const [left, right] = findPanels(page);
    for (const box of [left, right]) assert.ok(box.x1 - box.x0 > 100 && box.y1 - box.y0 > 70, `panel found: ${JSON.stringify(box)}`);
    assert.ok(Math.abs((right.x1 - right.x0) - (left.x1 - left.x0)) < 6, 'panels of equal size side by side');
    const hot = pixel(page, right, 0.7, 0.3);
    assert.ok(hot[0] > 120 && hot[1] > 150 && hot[2] < 100, `overlay at the hot spot is yellow-green (viridis high): ${hot}`);
    const cold = pixel(page, right, 0.15, 0.85);
    assert.ok(cold.every((c) => Math.abs(c - SCAN_GRAY) <= 3), `overlay where the map is 0 shows the scan: ${cold}`);
    const scanAtHot = pixel(page, left, 0.7, 0.3);
    assert.ok(scanAtHot.every((c) => Math.abs(c - SCAN_GRAY) <= 3), `the plain scan has no overlay: ${scanAtHot}`);
    store.close();
  } finally {
    cleanup();
  }
});

test('same inputs give the same bytes; several findings give several sections; bad input is named', async () => {
  const { dir, cleanup } = tempDir('candor-pdf-');
  try {
    const { store, rec } = recordOne(dir);
    const second = store.recordFinding(makeInput({ seed: 8 }));
    const inputs: PdfInput[] = (await pdfInputsFor(store, [rec.findingId, second.findingId], { includeIdentifying: false })).map((p) => ({ ...p, scanImage: flatScan() }));
    // Another clock and time zone are pdf-timezones.test.ts's; here the same process twice.
    const a = await renderFindingsPdf(inputs);
    const b = await renderFindingsPdf(inputs);
    assert.ok(a.equals(b), 'deterministic bytes');
    const file = join(dir, 'two.pdf');
    writeFileSync(file, a);
    const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
    const pages = Number(/Pages:\s+(\d+)/.exec(info)![1]);
    assert.ok(pages >= 2, `one section per finding (${pages} pages)`);
    const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' });
    assert.ok(text.includes(rec.eventHash) && text.includes(second.eventHash));

    await assert.rejects(renderFindingsPdf([]), ReportError);
    await assert.rejects(renderFindingsPdf([{ ...inputs[0], scanImage: { width: 10, height: 10, gray: new Uint8Array(5) } }]), /has 5 pixels, expected 10×10/);
    store.close();
  } finally {
    cleanup();
  }
});

test('a long report text flows over pages with every word kept', async () => {
  const { dir, cleanup } = tempDir('candor-pdf-');
  try {
    const store = AuditStore.open(join(dir, 'audit.db'));
    const sentences = Array.from({ length: 120 }, (_, i) => `Finding ${i}: the ${['left', 'right'][i % 2]} lobe shows change number ${i}.`);
    const longRun = `https://example.org/${'0123456789abcdef'.repeat(20)}`;
    const text = `${sentences.slice(0, 60).join(' ')}\n\n${sentences.slice(60).join(' ')} ${longRun} EndMarkerWord`;
    const input = makeInput({ seed: 2 });
    input.explanation = makeExplanation({ seed: 2, text });
    const rec = store.recordFinding(input);
    const [p] = await pdfInputsFor(store, [rec.findingId], { includeIdentifying: false });
    const file = join(dir, 'long.pdf');
    writeFileSync(file, await renderFindingsPdf([p]));
    const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))![1]);
    assert.ok(pages >= 2, `${pages} pages`);
    // Words, not line breaks: where the PDF wraps a line is layout.
    const out = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    for (const i of [0, 59, 60, 119]) assert.ok(out.includes(`change number ${i}.`), `sentence ${i} is in the PDF`);
    assert.ok(out.includes('EndMarkerWord') && out.includes(rec.eventHash));
    assert.ok(out.replace(/\s+/g, '').includes(longRun), 'a run wider than the line is wrapped, not cut off');
    store.close();
  } finally {
    cleanup();
  }
});
