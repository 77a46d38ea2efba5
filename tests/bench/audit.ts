/**
 * Audit log load figures: 100,000 events written, then open (quick_check), verify (target
 * < 2 s; worker threads and one thread), the full integrity_check, filtered listing (common
 * and rare matches), single durable writes, getFinding and a one-finding PDF. Prints figures only.
 * CANDOR_BENCH_AUDIT_EVENTS overrides the event count; CANDOR_BENCH_AUDIT_DB keeps the file.
 */
import { join, resolve } from 'node:path';
import { statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { AuditStore } from '../../db/audit-store';
import { configureParallelVerify, lastParallelScan } from '../../db/parallel-verify';
import { renderFindingsPdf } from '../../electron/report/pdf';
import { pdfInputsFor } from '../../electron/report/finding-report';
import { makeInput, tempDir } from '../db/helpers';

function ms(t0: number): string {
  return `${(performance.now() - t0).toFixed(1)} ms`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function run(): Promise<void> {
  const total = Number(process.env.CANDOR_BENCH_AUDIT_EVENTS ?? 100_000);
  const { dir, cleanup } = tempDir('candor-bench-audit-');
  try {
    // CANDOR_BENCH_AUDIT_DB=FILE keeps the database (and reuses it next time, skipping the writes).
    const file = process.env.CANDOR_BENCH_AUDIT_DB ? resolve(process.env.CANDOR_BENCH_AUDIT_DB) : join(dir, 'audit.db');
    let store = AuditStore.open(file);
    const methods = ['nib', 'm2ib', 'gradcam', 'rise', 'saliency', 'ig'] as const;
    const input = (i: number) => makeInput({ seed: i, reviewer: `reviewer-${i % 20}`, method: methods[i % methods.length], study: `study-${i % 1000}`, mapSize: 16 });

    let t0 = performance.now();
    const batch = 1000;
    let written = store.list({ limit: 1 })[0]?.seq ?? 0;
    for (let i = written; written < total; i += batch) {
      const n = Math.min(batch, total - written);
      store.recordFindings(Array.from({ length: n }, (_, k) => input(i + k)));
      written += n;
    }
    const writeMs = performance.now() - t0;
    if (writeMs > 1000) console.log(`audit: wrote ${written} events (findings with 16×16 maps, batches of ${batch}) in ${(writeMs / 1000).toFixed(1)} s (${Math.round(written / (writeMs / 1000))} events/s); file ${(statSync(file).size / 2 ** 20).toFixed(0)} MiB`);

    store.close();
    t0 = performance.now();
    const reopened = AuditStore.open(file);
    console.log(`audit: open ${written} events (WAL, PRAGMA quick_check, schema check): ${ms(t0)}; file ${(statSync(file).size / 2 ** 20).toFixed(0)} MiB, ${Math.round(statSync(file).size / written)} bytes per event`);
    store = reopened;

    const single: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t = performance.now();
      store.recordFinding(input(total + i));
      single.push(performance.now() - t);
    }
    console.log(`audit: single durable recordFinding (own transaction, WAL, synchronous=FULL): median ${median(single).toFixed(2)} ms, max ${Math.max(...single).toFixed(2)} ms`);

    const verifyOnce = (label: string) => {
      const t = performance.now();
      const c0 = process.cpuUsage();
      const v = store.verify({ full: true });
      const c = process.cpuUsage(c0);
      const wall = performance.now() - t;
      const par = lastParallelScan();
      console.log(
        `audit: verify ${v.events} events ${label}: ${wall.toFixed(0)} ms wall (target < 2000 ms${wall < 2000 ? ', met' : ', MISSED'}), ` +
          `${((c.user + c.system) / 1000).toFixed(0)} ms CPU in all threads, ${par.threads} thread(s), ${par.byWorkers} of ${par.chunks} chunk(s) on workers, ok=${v.ok}; load average ${loadavg()[0].toFixed(1)} on ${cpus().length} CPUs`,
      );
    };
    for (let rep = 0; rep < 3; rep++) verifyOnce(rep === 0 ? '(chain + every payload recomputed, cold)' : '(chain + every payload recomputed)');
    configureParallelVerify({ workers: false });
    try {
      verifyOnce('in one thread');
    } finally {
      configureParallelVerify({ workers: true });
    }
    t0 = performance.now();
    const problems = store.checkIntegrity();
    console.log(`audit: full PRAGMA integrity_check on demand: ${ms(t0)} (${problems.length ? problems[0] : 'ok'})`);

    store.recordFinding(input(total + 1000));
    t0 = performance.now();
    const resumed = store.verify();
    console.log(`audit: verify again after one more finding (resumes after the verified prefix, as the app's audit list does): ${ms(t0)} ok=${resumed.ok}`);

    const midTime = store.events(Math.floor(written / 2), 1)[0].time;
    const oneSecond = { from: midTime, to: new Date(new Date(midTime).getTime() + 1000).toISOString(), old: store.events(1000, 1)[0].time };
    const filters: [string, Parameters<AuditStore['list']>[0]][] = [
      ['newest 500', {}],
      ['reviewer', { reviewer: 'reviewer-7' }],
      ['method', { method: 'gradcam' }],
      ['study (rare)', { study: 'study-123' }],
      ['model', { model: 'mini-clip' }],
      ['date range', { from: '2000-01-01', to: '2100-01-01' }],
      ['reviewer+method+study', { reviewer: 'reviewer-3', method: 'rise', study: 'study-123' }],
      ['study UID (common)', { study: '1.2.826.0.1.3' }],
      ['method (none)', { method: 'no-such-method' }],
      ['model (none)', { model: 'no-such-model' }],
      ['one second of events', { from: oneSecond.from, to: oneSecond.to }],
      ['oldest events (to)', { to: oneSecond.old }],
      ['search note text', { search: 'note 4242:' }],
      ['nothing matches', { reviewer: 'nobody' }],
    ];
    for (const [label, f] of filters) {
      store.list(f);
      const times: number[] = [];
      let rows = 0;
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        rows = store.list(f).length;
        times.push(performance.now() - t);
      }
      console.log(`audit: list ${label.padEnd(22)} ${rows.toString().padStart(4)} rows, median ${median(times).toFixed(1)} ms`);
    }

    const some = store.list({ limit: 50 }).filter((r) => r.findingId);
    t0 = performance.now();
    for (const r of some) store.getFinding(r.findingId!);
    console.log(`audit: getFinding ${((performance.now() - t0) / some.length).toFixed(2)} ms each`);

    const big = makeInput({ seed: 1, mapSize: 224 });
    const rec = store.recordFinding(big);
    const W = 512;
    const gray = new Uint8Array(W * W).map((_, i) => (i % W) >> 1);
    t0 = performance.now();
    const [pdfInput] = await pdfInputsFor(store, [rec.findingId], { includeIdentifying: false });
    const pdf = await renderFindingsPdf([{ ...pdfInput, scanImage: { width: W, height: W, gray } }]);
    console.log(`audit: PDF for one finding (512² scan, 224² map): ${ms(t0)}, ${(pdf.length / 1024).toFixed(0)} KiB`);
    store.close();
  } finally {
    cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
