/**
 * The auditor's view at 1280×720 in Chromium, over a real SQLite log: every column of the table
 * on screen without a sideways scroll, times in UTC as in the PDF, the model's full hash at hand,
 * and, after the file is really tampered with, the broken entry and those after it marked in the
 * table, not only in the banner. The log is written without a signing key, so the head never says
 * "verified": the chain is intact but nothing covers it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AuditStore } from '../../db/audit-store';
import { formatTime, type Method, type RecordedFinding } from '../../electron/api/contract';
import { resolveResources } from '../../electron/paths';
import { repoRoot } from '../../electron/version';
import { MODEL_SHA, makeInput } from '../db/helpers';
import { openWorkspace, waitForModel, type Workspace } from './harness';
import { testTempDir } from '../temp-dir';

const W = 1280;
const H = 720;
let ws: Workspace;
let dbPath: string;
let recorded: RecordedFinding[];

/** Five findings with the widest values the columns meet: long names, the longest method label, every decision. */
function fillLog(file: string): RecordedFinding[] {
  const store = AuditStore.open(file);
  const methods: Method[] = ['nib', 'ig', 'm2ib', 'gradcam', 'rise'];
  const out = methods.map((method, i) =>
    store.recordFinding({
      ...makeInput({ seed: i + 1, method, reviewer: i % 2 ? 'Dr. Ada Reviewer-Longname' : 'dr.house', study: `Nodule, right upper zone · demo-0${i + 1}.dcm` }),
    }),
  );
  store.close();
  return out;
}

before(async () => {
  const tmp = testTempDir('candor-audit-view-');
  dbPath = join(tmp, 'audit.sqlite');
  recorded = fillLog(dbPath);
  const resources = resolveResources(repoRoot());
  ws = await openWorkspace({ modelDir: resources.demoBundle, samplesIndex: resources.samplesIndex, dbPath });
  await ws.page.setViewportSize({ width: W, height: H });
  await ws.page.goto(ws.host.url);
  await waitForModel(ws.page);
  await ws.page.getByTestId('audit-tab').click();
  await ws.page.locator('[data-testid="audit-tab"].active').waitFor();
  await ws.page.getByTestId('audit-row').nth(recorded.length - 1).waitFor();
});
after(async () => {
  await ws?.close();
});

/** Every header cell and every cell of the first row lies inside the table's visible box and the window; nothing scrolls sideways. */
async function allColumnsVisible(when: string): Promise<void> {
  const { page } = ws;
  const wrap = page.getByTestId('audit-table-wrap');
  const frame = (await wrap.boundingBox())!;
  const { scrollWidth, clientWidth } = await wrap.evaluate((el) => ({ scrollWidth: el.scrollWidth, clientWidth: el.clientWidth }));
  assert.ok(scrollWidth <= clientWidth, `${when}: no sideways scroll (${scrollWidth} > ${clientWidth})`);
  const headers = page.getByTestId('audit-table').locator('thead th');
  const names = await headers.allInnerTexts();
  assert.deepEqual(names.slice(1), ['#', 'Time (UTC)', 'Reviewer', 'Study', 'Model', 'Method', 'Similarity', 'Decision']);
  const cells = [...(await headers.all()), ...(await page.getByTestId('audit-row').first().locator('td').all())];
  for (const [i, cell] of cells.entries()) {
    const b = (await cell.boundingBox())!;
    const name = names[i % names.length] || 'select';
    assert.ok(b.width > 0 && b.x >= frame.x - 0.5 && b.x + b.width <= frame.x + frame.width + 0.5, `${when}: column "${name}" inside the table's box: ${JSON.stringify(b)} in ${JSON.stringify(frame)}`);
    assert.ok(b.x + b.width <= W && b.y >= 0 && b.y < H, `${when}: column "${name}" inside ${W}×${H}: ${JSON.stringify(b)}`);
  }
}

test('at 1280×720 every column of the audit table is on screen, with and without an entry open', async () => {
  await allColumnsVisible('list only');
  await ws.screenshot('80-audit-1280x720');
  await ws.page.getByTestId('audit-row').first().click();
  await ws.page.getByTestId('audit-detail').waitFor();
  await allColumnsVisible('entry open');
  // The scan is not open in this session: the notice saying so is drawn over the viewer, not under it.
  const notice = ws.page.getByTestId('audit-scan-missing');
  const seen = await notice.evaluate((e) => {
    const r = e.getBoundingClientRect();
    const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
    return top !== null && (top === e || e.contains(top));
  });
  assert.ok(seen, 'the missing-scan notice is visible');
  await ws.screenshot('81-audit-1280x720-entry');
});

test('times carry their zone in the table and the detail, as in the PDF; the full model hash is in the detail and the tooltip', async () => {
  const { page } = ws;
  const newest = recorded.at(-1)!;
  const row = page.locator(`[data-testid="audit-row"][data-seq="${newest.seq}"]`);
  const timeText = (await row.locator('td').nth(2).innerText()).replace(/\s+/g, ' ');
  assert.equal(timeText, formatTime(newest.time), 'the table shows the time in UTC, said so');
  await row.click();
  await page.getByTestId('audit-time').filter({ hasText: formatTime(newest.time) }).waitFor();
  assert.equal(await page.getByTestId('audit-model-sha').innerText(), MODEL_SHA, 'the full model hash, not 8 characters');
  assert.match((await row.locator('td').nth(5).getAttribute('title')) ?? '', new RegExp(MODEL_SHA));
  assert.equal(await page.getByTestId('audit-event-hash').innerText(), newest.eventHash);
});

test('after a real edit of the SQLite file the broken entry is marked, and the entries after it are unverifiable', async () => {
  const { page } = ws;
  // The log was written without a signing key: the chain is intact but nothing vouches for it, and the head says so.
  await page.locator('[data-testid="chain-status"][data-verdict="uncovered"]').waitFor();
  assert.equal(await page.getByTestId('chain-status').innerText(), 'NOT COVERED — None of the 6 events is covered by any trusted signature or anchor. The hash chain itself is intact.');
  assert.deepEqual(await page.getByTestId('integrity-mark').allInnerTexts(), ['○', '○', '○', '○', '○', '○']);
  // The middle finding's decision is changed behind the app's back (its triggers dropped first, as an attacker would).
  const target = recorded[2]!;
  const raw = new Database(dbPath);
  for (const t of raw.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as { name: string }[]) raw.exec(`DROP TRIGGER ${t.name}`);
  const changed = raw.prepare('UPDATE findings SET decision = ? WHERE seq = ?').run(target.decision === 'agree' ? 'disagree' : 'agree', target.seq);
  raw.close();
  assert.equal(changed.changes, 1);

  await page.getByTestId('verify-chain').click();
  await page.getByTestId('chain-status').filter({ hasText: `BROKEN at event ${target.seq}` }).waitFor();
  const states = await page.getByTestId('audit-row').evaluateAll((rows) => rows.map((r) => [Number((r as HTMLElement).dataset.seq), (r as HTMLElement).dataset.integrity] as const));
  assert.ok(states.length >= recorded.length);
  for (const [seq, state] of states) {
    // Before the break the chain is intact, but no signature or anchor covers those entries either.
    const expected = seq < target.seq ? 'uncovered' : seq === target.seq ? 'broken' : 'unverifiable';
    assert.equal(state, expected, `entry #${seq}`);
  }
  const broken = page.locator(`[data-testid="audit-row"][data-seq="${target.seq}"]`);
  assert.equal(await broken.getByTestId('integrity-mark').innerText(), '✗');
  assert.match((await broken.locator('td').nth(1).getAttribute('title')) ?? '', new RegExp(`Entry #${target.seq} is where the chain breaks`));
  const bg = await broken.evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.notEqual(bg, 'rgba(0, 0, 0, 0)', 'the broken row is coloured');
  await broken.click();
  // The store refuses to hand out a finding that no longer matches its event; the detail does not keep showing another entry.
  await page.getByTestId('audit-error').filter({ hasText: `does not match its audit event ${target.seq}` }).waitFor();
  assert.equal(await page.getByTestId('audit-detail').getByTestId('audit-decision-shown').count(), 0);
  await ws.screenshot('82-audit-tampered');
  // An entry after the break still opens, and its detail says the chain cannot vouch for it.
  const later = recorded.at(-1)!;
  await page.locator(`[data-testid="audit-row"][data-seq="${later.seq}"]`).click();
  await page.getByTestId('audit-entry-integrity').filter({ hasText: `comes after the break at entry #${target.seq}` }).waitFor();
  await allColumnsVisible('after tampering');
  await ws.screenshot('83-audit-tampered-later-entry');
  assert.deepEqual(ws.pageErrors, []);
});
