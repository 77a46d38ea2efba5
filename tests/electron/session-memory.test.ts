/**
 * A reading session does not grow without bound: explanations, finished jobs and open scans are
 * kept up to documented caps, through the same services and dispatch the app uses.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_KEPT_EXPLANATIONS } from '../../electron/services/index';
import { MAX_OPEN_SCANS } from '../../electron/services/scans';
import { LruMap } from '../../electron/services/lru';
import type { Explanation } from '../../electron/api/contract';
import { openServices } from './services-harness';

const DEMO = fileURLToPath(new URL('../../native-models/demo/', import.meta.url));
const SCAN = join(DEMO, 'studies', 'demo-01.dcm');
const TEXT = 'Solitary nodule in the right upper zone.';
const { services, call, refused, waitForJob } = openServices(join(DEMO, 'bundle'));
after(() => services.dispose());

async function explainOnce(scanId: string): Promise<{ jobId: string; explanation: Explanation }> {
  // NIB with one step keeps 500 explanations within about a minute; the map is the scan's size either way.
  const { jobId } = await call('explain:start', { scanId, text: TEXT, method: 'nib', steps: 1 });
  const state = await waitForJob(jobId, 2);
  if (state.state !== 'done') throw new Error(`explanation ended ${JSON.stringify(state)}`);
  return { jobId, explanation: state.explanation };
}

/** Live JS heap plus the typed arrays outside it (attribution maps live there), after full collections. */
function liveBytes(): { live: number; rss: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  assert.ok(gc, 'run this file through tests/run.mjs, which passes --expose-gc');
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return { live: m.heapUsed + m.external, rss: m.rss };
}

const MB = 2 ** 20;

test('LruMap drops the least recently used entry, and get() counts as a use', () => {
  const lru = new LruMap<string, number>(2);
  lru.set('a', 1);
  lru.set('b', 2);
  assert.equal(lru.get('a'), 1);
  lru.set('c', 3);
  assert.equal(lru.get('b'), undefined);
  assert.deepEqual([...lru.values()], [1, 3]);
  assert.equal(lru.size, 2);
  assert.throws(() => new LruMap(0), /capacity of at least 1/);
});

test('500 explanations keep memory flat; an expired one asks to explain again, a recent one records (twice)', async (t) => {
  const scan = await call('scan:open', { path: SCAN });
  const first = await explainOnce(scan.id);
  // The map is what a leak would keep: one float per scan pixel.
  assert.equal(first.explanation.image?.map.values.length, scan.width * scan.height);
  const mapBytes = scan.width * scan.height * 4;

  let last = first;
  const started = performance.now();
  for (let i = 1; i < 100; i++) last = await explainOnce(scan.id);
  const at100 = liveBytes();
  for (let i = 100; i < 500; i++) last = await explainOnce(scan.id);
  const at500 = liveBytes();
  const seconds = (performance.now() - started) / 1000;
  const grew = at500.live - at100.live;
  t.diagnostic(
    `500 explanations in ${seconds.toFixed(0)} s; heap+external ${(at100.live / MB).toFixed(1)} → ${(at500.live / MB).toFixed(1)} MB ` +
      `(${(grew / MB).toFixed(1)} MB), RSS ${(at100.rss / MB).toFixed(0)} → ${(at500.rss / MB).toFixed(0)} MB; one map ${(mapBytes / MB).toFixed(2)} MB`,
  );
  // Keeping every explanation would add 400 maps (≈ 225 MB for this scan) between the two readings.
  assert.ok(grew < 40 * mapBytes, `live memory grew by ${(grew / MB).toFixed(1)} MB from 100 to 500 explanations`);

  const expired = await refused('finding:record', { explanationId: first.explanation.id, reviewer: 'Dr. Test', decision: 'agree' });
  assert.equal(expired.code, 'not-found');
  assert.match(expired.message, new RegExp(`only the ${MAX_KEPT_EXPLANATIONS} most recent.*explain again`));
  assert.equal((await refused('explain:poll', { jobId: first.jobId })).code, 'not-found');

  const recorded = await call('finding:record', { explanationId: last.explanation.id, reviewer: 'Dr. Test', decision: 'agree' });
  const again = await call('finding:record', { explanationId: last.explanation.id, reviewer: 'Dr. Test', decision: 'disagree', note: 'second look', again: true });
  assert.ok(again.seq > recorded.seq);
  assert.equal((await call('audit:get', { findingId: again.findingId })).explanation.id, last.explanation.id);
});

test('scan:close releases a scan; past the cap the least recently used one is dropped and asks to be opened again', async () => {
  const closing = await call('scan:open', { path: SCAN });
  assert.deepEqual(await call('scan:close', { scanId: closing.id }), { closed: true });
  assert.deepEqual(await call('scan:close', { scanId: closing.id }), { closed: false });
  const gone = await refused('scan:frame', { scanId: closing.id, frame: 1 });
  assert.equal(gone.code, 'not-found');
  assert.match(gone.message, /open the file again/);
  assert.equal((await refused('explain:start', { scanId: closing.id, text: TEXT })).code, 'not-found');

  const oldest = await call('scan:open', { path: SCAN });
  const kept = await call('scan:open', { path: SCAN });
  for (let i = 0; i < MAX_OPEN_SCANS - 2; i++) await call('scan:open', { path: SCAN });
  // Using a scan keeps it: the next open drops `oldest`, not `kept`.
  await call('scan:frame', { scanId: kept.id, frame: 1 });
  await call('scan:open', { path: SCAN });
  assert.equal((await refused('scan:frame', { scanId: oldest.id, frame: 1 })).code, 'not-found');
  assert.equal((await call('scan:frame', { scanId: kept.id, frame: 1 })).scanId, kept.id);
});
