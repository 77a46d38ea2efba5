/**
 * Review defects found in use, each checked the way the reviewer met it, in Chromium against the
 * real services with the bundled demo model and studies and a real SQLite audit log: a finding
 * recorded twice by Ctrl+Enter, a report that followed the reviewer onto another scan, a result
 * panel that kept an old method's result, a finding form that stayed ticked on the next study, and
 * a constant attribution shaded as if every word mattered.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openWorkspace, sharedDir, type Workspace } from './harness';
import { resolveResources } from '../../electron/paths';
import { repoRoot } from '../../electron/version';
import type { AuditRow } from '../../electron/api/contract';
import { testTempDir } from '../temp-dir';

const resources = resolveResources(repoRoot());
const CT = join(sharedDir(), 'fixtures', 'dicom', 'ct_signed_rescale_windows.dcm');
let ws: Workspace;

interface Study { title: string; report: string }
function demoStudies(): Study[] {
  const index = resources.samplesIndex!;
  const raw = JSON.parse(readFileSync(index, 'utf8')) as { studies: { title: string; report: string }[] };
  return raw.studies.map((s) => ({ title: s.title, report: readFileSync(join(dirname(index), s.report), 'utf8').trim() }));
}

before(async () => {
  assert.ok(resources.demoBundle && resources.samplesIndex, 'the demo model and studies are bundled');
  const tmp = testTempDir('candor-fixes-');
  ws = await openWorkspace({ modelDir: resources.demoBundle, samplesIndex: resources.samplesIndex, dbPath: join(tmp, 'audit.sqlite') });
  await ws.page.goto(ws.host.url);
  await ws.page.getByTestId('scan-title').waitFor();
});
after(async () => {
  await ws?.close();
});

/** The findings in the audit log, read through the host's API, not the page. */
async function findings(): Promise<AuditRow[]> {
  return (await ws.call('audit:list', {})).rows.filter((r) => r.findingId);
}

/** finding:record requests the page has sent so far. */
const recordRequests = (): number => ws.requests.filter((u) => u === `${ws.host.origin}/api/${encodeURIComponent('finding:record')}`).length;

async function openStudy(index: number, title: string): Promise<void> {
  await ws.page.getByTestId('study').nth(index).click();
  await ws.page.getByTestId('scan-title').filter({ hasText: title }).waitFor();
}

async function explainSentence(text: string): Promise<void> {
  const { page } = ws;
  const before = await page.getByTestId('explain-shown').count() ? await page.getByTestId('explain-shown').innerText() : null;
  await page.getByTestId('sentence').filter({ hasText: text }).first().click();
  await page.waitForFunction(
    (b) => !document.querySelector('[data-testid="explain-progress"]') && !!document.querySelector('[data-testid="shaded-text"]') &&
      document.querySelector('[data-testid="explain-shown"]')?.textContent !== b,
    before,
    { timeout: 120_000 },
  );
}

test('Ctrl+Enter in the note records the finding once; "Record again" records another on purpose', async () => {
  const { page } = ws;
  const [first] = demoStudies();
  await openStudy(0, first!.title);
  const sentence = (await page.getByTestId('sentence').first().innerText()).trim();
  await explainSentence(sentence);
  const before = (await findings()).length;
  await page.getByTestId('reviewer').fill('Dr. Once');
  await page.getByTestId('decision-agree').check();
  await page.getByTestId('note').fill('Recorded with the keyboard.');
  const sentBefore = recordRequests();
  await page.getByTestId('note').press('Control+Enter');
  await page.getByTestId('finding-result').waitFor();
  // Any second request the key press made was sent before the first one's answer was shown.
  assert.equal(recordRequests(), sentBefore + 1, 'one Ctrl+Enter sends one finding:record');
  assert.equal((await findings()).length, before + 1, 'one Ctrl+Enter records one finding');
  // Pressed again for the same explanation: refused, with a way to record again on purpose.
  await page.getByTestId('note').press('Control+Enter');
  await page.getByTestId('finding-error').filter({ hasText: /Already recorded as entry #\d+.*Record again/ }).waitFor();
  assert.equal((await findings()).length, before + 1, 'a second Ctrl+Enter does not record the same explanation again');
  const saved = await page.getByTestId('finding-result').innerText();
  const firstSeq = /entry #(\d+)/.exec(saved)![1];
  await page.getByTestId('record-again').click();
  // It warns first, naming the entry the explanation already is, and records nothing yet.
  assert.match(await page.getByTestId('record-again-warning').innerText(), new RegExp(`already audit entry #${firstSeq}\\.`));
  assert.equal((await findings()).length, before + 1, 'the warning alone records nothing');
  await ws.screenshot('60-fix-record-again-warning');
  await page.getByTestId('record-again-confirm').click();
  await page.waitForFunction((t) => (document.querySelector('[data-testid="finding-result"]')?.textContent ?? t) !== t, saved);
  assert.equal((await findings()).length, before + 2, '"Record again" records a second finding');
  await ws.screenshot('60-fix-record-again-done');
});

test('the finding form starts afresh on another study: no decision ticked, no "Saved as" shown', async () => {
  const { page } = ws;
  assert.equal(await page.getByTestId('decision-agree').isChecked(), true, 'ticked after recording');
  const studies = demoStudies();
  await openStudy(1, studies[1]!.title);
  assert.equal(await page.getByTestId('decision-agree').isChecked(), false);
  assert.equal(await page.getByTestId('finding-result').count(), 0);
  assert.equal(await page.getByTestId('reviewer').inputValue(), 'Dr. Once', 'the reviewer name stays');
});

test('a report belongs to its scan: another file starts empty, and switching back restores the typed text', async () => {
  const { page } = ws;
  const studies = demoStudies();
  await openStudy(0, studies[0]!.title);
  assert.equal(await page.getByTestId('report-text').inputValue(), studies[0]!.report);
  const edited = `${studies[0]!.report} Reviewed in this session.`;
  await page.getByTestId('report-text').fill(edited);
  await page.getByTestId('path-input').fill(CT);
  await page.getByTestId('path-input').press('Enter');
  await page.getByTestId('scan-title').filter({ hasText: 'ct_signed_rescale_windows.dcm' }).waitFor();
  assert.equal(await page.getByTestId('report-text').inputValue(), '', 'the nodule report does not follow onto the CT');
  assert.equal(await page.getByTestId('sentence').count(), 0);
  assert.match(await page.getByTestId('report-text').getAttribute('placeholder') ?? '', /No report for this scan/);
  assert.match(await page.getByTestId('report-notice').innerText(), /No report for this scan — type or paste it/);
  await ws.screenshot('61-fix-report-per-scan');
  await openStudy(0, studies[0]!.title);
  assert.equal(await page.getByTestId('report-text').inputValue(), edited, 'the text typed for this scan comes back');
  await openStudy(2, studies[2]!.title);
  assert.equal(await page.getByTestId('report-text').inputValue(), studies[2]!.report, 'a sample study brings its own report');
});

test('a changed setting re-runs the sentence explained last; the panel states the settings of what it shows', async () => {
  const { page } = ws;
  const studies = demoStudies();
  await openStudy(0, studies[0]!.title);
  const sentence = (await page.getByTestId('sentence').first().innerText()).trim();
  await explainSentence(sentence);
  assert.match(await page.getByTestId('explain-shown').innerText(), /^NIB · layer \d+ · steps 10 · image \+ text$/);
  await page.getByTestId('explain-method').selectOption('m2ib');
  assert.match(await page.getByTestId('explain-stale').innerText(), /NIB/, 'the panel says its result is NIB’s while M2IB is chosen');
  await explainSentence(sentence);
  assert.match(await page.getByTestId('explain-shown').innerText(), /^M2IB · layer \d+/);
  assert.equal(await page.getByTestId('viewer-label').innerText(), 'M2IB');
  assert.equal(await page.getByTestId('explain-stale').count(), 0);
  await page.getByTestId('explain-layer').fill('2');
  await explainSentence(sentence);
  assert.match(await page.getByTestId('explain-shown').innerText(), /^M2IB · layer 2/);
  // A settings error goes as soon as the setting is changed again, and the next click runs.
  await page.getByTestId('explain-steps').fill('0');
  await page.getByTestId('sentence').first().click();
  assert.match(await page.getByTestId('explain-error').innerText(), /Steps must be a whole number from 1 to 200/);
  await page.getByTestId('explain-steps').fill('10');
  assert.equal(await page.getByTestId('explain-error').count(), 0, 'the old error is not left standing');
  await page.getByTestId('explain-method').selectOption('nib');
  await page.getByTestId('explain-layer').fill('');
  await explainSentence(sentence);
  assert.match(await page.getByTestId('explain-shown').innerText(), /^NIB · layer \d+ · steps 10/);
  await ws.screenshot('62-fix-settings-rerun');
});

test('a constant text attribution shades no word and says why', async () => {
  const { page } = ws;
  await page.getByTestId('explain-method').selectOption('gradcam');
  await page.getByTestId('explain-layer').fill('5');
  // Grad-CAM at the demo text model's last layer scores every word of this sentence 0.
  await explainSentence('The mediastinum is normal.');
  const words = page.getByTestId('word');
  assert.ok((await words.count()) >= 3);
  const backgrounds = await words.evaluateAll((els) => els.map((e) => getComputedStyle(e).backgroundColor));
  assert.ok(backgrounds.every((b) => b === 'rgba(0, 0, 0, 0)'), `no word is shaded: ${backgrounds.join(', ')}`);
  assert.match(await page.getByTestId('explain-warnings').innerText(), /text attribution .*(zero|same|constant)/i);
  await ws.screenshot('63-fix-constant-attribution');
  await page.getByTestId('explain-method').selectOption('nib');
  await page.getByTestId('explain-layer').fill('');
});
