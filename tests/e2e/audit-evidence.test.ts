/**
 * The auditor's evidence in Chromium against the real services: two findings recorded through the
 * review workspace on a demo study, signed by the test installation's key; the view says every
 * event is covered, by what. Replay runs an entry again (bit for bit here) and names a changed scan.
 * Then the SQLite file is rewritten as an insider holding the installation's key would (decision
 * changed, every hash recomputed, every head re-signed): the signatures alone cannot tell, and the
 * PDF report and checkpoint file taken before, dropped on the view, name the break and mark the range.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Page } from 'playwright-core';
import { AuditStore } from '../../db/audit-store';
import { installationPaths } from '../../db/installation';
import { installationKey } from '../../db/installation-key';
import { resolveResources } from '../../electron/paths';
import { repoRoot } from '../../electron/version';
import { rewriteDecision } from '../db/attacks';
import { openWorkspace, type Workspace } from './harness';

const resources = resolveResources(repoRoot());
let ws: Workspace;
let tmp: string;
let dbPath: string;
let configDir: string;
/** Entry numbers of the two findings (event 1 is the schema's). */
const seqs: number[] = [];
const kept: { pdf?: string; checkpoint?: string } = {};

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'candor-audit-evidence-'));
  dbPath = join(tmp, 'audit.sqlite');
  configDir = join(tmp, 'config');
  ws = await openWorkspace({ modelDir: resources.demoBundle, samplesIndex: resources.samplesIndex, dbPath, configDir });
  await ws.page.setViewportSize({ width: 1280, height: 720 });
  await ws.page.goto(ws.host.url);
});
after(async () => {
  await ws?.close();
});

async function recordFinding(page: Page, sentence: string, decision: 'agree' | 'disagree'): Promise<number> {
  await page.getByTestId('sentence').filter({ hasText: sentence }).first().click();
  // A new explanation clears the form (and the previous "Saved as entry"): wait for it, not the last one.
  await page.getByTestId('finding-result').waitFor({ state: 'detached', timeout: 120_000 });
  await page.getByTestId('shaded-text').waitFor({ timeout: 120_000 });
  await page.getByTestId('reviewer').fill('Dr. Audrey Tor');
  await page.getByTestId(`decision-${decision}`).check();
  await page.getByTestId('record-finding').click();
  const text = await page.getByTestId('finding-result').filter({ hasText: 'Saved as entry' }).innerText();
  return Number(/entry #(\d+)/.exec(text)![1]);
}

/** Runs of the coverage strip as "kind from-to". */
async function strip(page: Page): Promise<string[]> {
  return page.getByTestId('coverage-run').evaluateAll((els) => els.map((e) => `${(e as HTMLElement).dataset.kind} ${(e as HTMLElement).dataset.from}-${(e as HTMLElement).dataset.to}`));
}

async function rowStates(page: Page): Promise<string[]> {
  return page.getByTestId('audit-row').evaluateAll((rows) => rows.map((r) => `${(r as HTMLElement).dataset.seq}:${(r as HTMLElement).dataset.integrity}`).reverse());
}

/** Drops a file on the evidence panel the way a file manager does: a DataTransfer holding a File. */
async function dropFile(page: Page, file: string, type: string): Promise<void> {
  const dataTransfer = await page.evaluateHandle(
    ({ name, b64, type }) => {
      const bin = atob(b64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name, { type }));
      return dt;
    },
    { name: basename(file), b64: readFileSync(file).toString('base64'), type },
  );
  const panel = page.getByTestId('evidence');
  await panel.dispatchEvent('dragover', { dataTransfer });
  await panel.dispatchEvent('drop', { dataTransfer });
}

test('two findings recorded on a demo study: verify says all events are covered by the installation key', async () => {
  const { page } = ws;
  await page.getByTestId('study').first().click();
  await page.getByTestId('scan-title').waitFor();
  seqs.push(await recordFinding(page, 'Solitary nodule in the right upper zone.', 'agree'));
  seqs.push(await recordFinding(page, 'There is no pleural effusion.', 'disagree'));
  assert.deepEqual(seqs, [2, 3]);

  await page.getByTestId('audit-tab').click();
  const status = page.getByTestId('chain-status');
  await page.locator('[data-testid="chain-status"][data-verdict="verified"]').waitFor();
  assert.equal(await status.innerText(), 'VERIFIED — All 3 events covered: events 1–3 by a trusted signature.');
  assert.deepEqual(await strip(page), ['signature 1-3']);
  await page.getByTestId('audit-row').nth(2).waitFor();
  assert.deepEqual(await rowStates(page), ['1:verified', '2:verified', '3:verified']);
  const signers = await page.getByTestId('signer').allInnerTexts();
  assert.equal(signers.length, 1);
  assert.match(signers[0]!, /✓ pinned key [0-9a-f]{16}… \(this installation.*\): 2 signatures, newest over event 3; vouches for events 1–3/);
  await ws.screenshot('84-audit-evidence-verified');
});

test('an anchor taken now: the ticked findings exported to PDF, and a checkpoint file written outside the installation', async () => {
  const { page } = ws;
  for (const seq of seqs) await page.locator(`[data-testid="audit-row"][data-seq="${seq}"]`).getByTestId('audit-select').check();
  await page.getByTestId('export-pdf').click();
  const note = await page.getByTestId('pdf-result').filter({ hasText: 'PDF written' }).innerText();
  kept.pdf = /PDF written: (.+?) \(\d+ KiB\)/.exec(note)![1]!;
  assert.equal(basename(kept.pdf), 'candor-report-entries-2-3.pdf');
  assert.match(note, /the 2 ticked findings, entries #2–#3$/);
  // Dropped, it travels to the test host as base64: more than the 1 MiB other requests may carry.
  assert.ok((readFileSync(kept.pdf).length * 4) / 3 > 2 ** 20, 'the PDF is over 1 MiB as base64');
  // What `candor audit checkpoint --out` does: the head signed with the installation's key, written as a file.
  const store = AuditStore.open(dbPath, { signingKey: installationKey(installationPaths(configDir)).key });
  kept.checkpoint = store.writeAnchor(join(tmp, 'kept-elsewhere'));
  store.close();
});

test('Replay on an intact entry reproduces it bit for bit; with a changed copy of the scan it is named the wrong scan', async () => {
  const { page } = ws;
  await page.locator(`[data-testid="audit-row"][data-seq="${seqs[1]}"]`).click();
  await page.getByTestId('audit-decision-shown').filter({ hasText: 'disagree' }).waitFor();
  await page.getByTestId('replay-entry').click();
  const result = page.getByTestId('replay-result');
  await result.waitFor({ timeout: 120_000 });
  assert.equal(await result.getAttribute('data-outcome'), 'reproduced');
  assert.equal(await page.getByTestId('replay-outcome').innerText(), 'Reproduced bit for bit');
  const parts = await page.getByTestId('replay-part').evaluateAll((rows) => rows.map((r) => `${(r as HTMLElement).dataset.part}:${(r as HTMLElement).dataset.within}:${r.querySelectorAll('td')[1]!.textContent}`));
  assert.deepEqual(parts, ['similarity:true:0 (identical)', 'imageTokens:true:0 (identical)', 'textTokens:true:0 (identical)', 'map:true:0 (identical)']);
  await page.getByTestId('replay-panel').scrollIntoViewIfNeeded();
  await ws.screenshot('85-audit-replay-reproduced');

  // The same study with one pixel byte changed: a different SHA-256, so nothing is run.
  const changed = join(tmp, 'demo-01-changed.dcm');
  copyFileSync(join(repoRoot(), 'native-models', 'demo', 'studies', 'demo-01.dcm'), changed);
  const bytes = readFileSync(changed);
  bytes[bytes.length - 1] ^= 0x01;
  writeFileSync(changed, bytes);
  await page.getByTestId('replay-scan-path').fill(changed);
  await page.getByTestId('replay-entry').click();
  await page.locator('[data-testid="replay-result"][data-outcome="wrong-scan"]').waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId('replay-outcome').innerText(), 'Not replayed: the scan is not the recorded one');
  assert.match(await page.getByTestId('replay-message').innerText(), /scan SHA mismatch: the scan at hand \(demo-01-changed\.dcm/);
  assert.equal(await page.getByTestId('replay-part').count(), 0, 'nothing was compared');
  await ws.screenshot('86-audit-replay-wrong-scan');
});

test('a rewrite re-signed with the installation key: only the anchors taken before catch it, and the view marks the range', async () => {
  const { page } = ws;
  // Finding #2 was recorded "agree"; the insider makes it "disagree" and re-signs everything after.
  rewriteDecision(dbPath, seqs[0]!, 'disagree', installationKey(installationPaths(configDir)).key);
  const answered = page.waitForResponse((r) => r.url().endsWith(`/api/${encodeURIComponent('audit:verify')}`));
  await page.getByTestId('verify-chain').click();
  await answered;
  await page.getByTestId('verify-chain').isEnabled();
  assert.equal(await page.getByTestId('chain-status').getAttribute('data-verdict'), 'verified', 'the signatures alone cannot tell');

  await dropFile(page, kept.pdf!, 'application/pdf');
  await page.locator('[data-testid="chain-status"][data-verdict="broken"]').waitFor();
  const status = await page.getByTestId('chain-status').innerText();
  assert.match(status, /^BROKEN at event 2 — the anchor candor-report-entries-2-3\.pdf: event 2 \(a finding it shows\) no longer has the hash it recorded/);
  assert.deepEqual(await strip(page), ['signature 1-1', 'broken 2-3']);
  assert.deepEqual((await page.getByTestId('coverage-legend').allInnerTexts()).map((t) => t.trim()), ['event 1: trusted signature', 'events 2–3: broken']);
  assert.deepEqual(await rowStates(page), ['1:verified', '2:broken', '3:unverifiable']);
  const anchors = page.getByTestId('anchor-check');
  assert.equal(await anchors.count(), 1);
  assert.equal(await anchors.first().getAttribute('data-ok'), 'false');
  assert.equal(await anchors.first().getByTestId('anchor-result').innerText(), 'rewritten at event 2');
  assert.match(await anchors.first().innerText(), /PDF report: entries #2, #3; chain head #3/);

  // The checkpoint by "Choose files…" (the test host has no native dialog; the input takes the file).
  await page.getByTestId('anchor-file-input').setInputFiles(kept.checkpoint!);
  await page.getByTestId('anchor-check').nth(1).waitFor();
  assert.deepEqual(await page.getByTestId('anchor-result').allInnerTexts(), ['rewritten at event 2', 'rewritten at event 3']);
  // A file that is no anchor is named and left out; the two anchors still count.
  const notes = join(tmp, 'notes.txt');
  writeFileSync(notes, 'minutes of the QA meeting');
  await dropFile(page, notes, 'text/plain');
  await page.getByTestId('evidence-notes').filter({ hasText: 'notes.txt: not a Candor anchor' }).waitFor();
  assert.equal(await page.getByTestId('anchor-check').count(), 2);
  assert.equal(await page.getByTestId('chain-status').getAttribute('data-verdict'), 'broken');
  await ws.screenshot('87-audit-anchor-caught-rewrite');

  // Without the PDF, the checkpoint alone still catches it, at the head it remembers.
  await page.getByRole('button', { name: `Remove ${basename(kept.pdf!)}` }).click();
  await page.locator('[data-testid="chain-status"]', { hasText: 'BROKEN at event 3' }).waitFor();
  assert.deepEqual(await strip(page), ['signature 1-2', 'broken 3-3']);
  assert.deepEqual(ws.pageErrors, []);
  assert.ok(ws.requests.every((u) => u.startsWith(ws.host.origin)), 'nothing left the host');
});

test('the test host keeps requests other than audit:verify to 1 MiB, and says so', async () => {
  const body = JSON.stringify({ padding: 'a'.repeat(2 ** 21) });
  const res = await fetch(`${ws.host.origin}/api/${encodeURIComponent('app:info')}`, { method: 'POST', body, headers: { 'x-candor-token': ws.host.token } });
  assert.equal(res.status, 400);
  assert.match(await res.text(), /invalid request body: request body too large \(more than 1 MiB\)/);
});
