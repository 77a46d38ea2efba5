/**
 * Audit log load figures: 100,000 events written (each head signed, as the app does), then open
 * (quick_check), verify (target < 2 s; worker threads and one thread), verify with coverage (the
 * signatures against the trust store, an anchor folder and a PDF anchor; target < 2 s), the cost
 * of the head signature per finding, the full integrity_check, filtered listing (common and rare
 * matches), single durable writes, getFinding and a one-finding PDF. Prints figures only.
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
import { installationPaths } from '../../db/installation';
import { installationKey } from '../../db/installation-key';
import { signHead } from '../../db/signing';
import { TrustStore } from '../../db/trust';
import { parseAnchor } from '../../db/anchors';

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
    // A kept database keeps its installation folder beside it (the key that signed it).
    const paths = installationPaths(process.env.CANDOR_BENCH_AUDIT_DB ? `${file}.config` : join(dir, 'config'));
    const key = installationKey(paths).key;
    let store = AuditStore.open(file, { signingKey: key });
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
    const reopened = AuditStore.open(file, { signingKey: key });
    console.log(`audit: open ${written} events (WAL, PRAGMA quick_check, schema check): ${ms(t0)}; file ${(statSync(file).size / 2 ** 20).toFixed(0)} MiB, ${Math.round(statSync(file).size / written)} bytes per event`);
    store = reopened;

    const single: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t = performance.now();
      store.recordFinding(input(total + i));
      single.push(performance.now() - t);
    }
    console.log(`audit: single durable recordFinding (own transaction, WAL, synchronous=FULL, head signed): median ${median(single).toFixed(2)} ms, max ${Math.max(...single).toFixed(2)} ms`);
    // The head signature's own cost: Ed25519 over 60 bytes, and the same writes without a key.
    const head = store.head();
    let t1 = performance.now();
    for (let i = 0; i < 2000; i++) signHead(key, head.seq, head.hash);
    const signUs = ((performance.now() - t1) / 2000) * 1000;
    const unsignedStore = AuditStore.open(file);
    const unsigned: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t = performance.now();
      unsignedStore.recordFinding(input(total + 200 + i));
      unsigned.push(performance.now() - t);
    }
    unsignedStore.close();
    const signedAgain: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t = performance.now();
      store.recordFinding(input(total + 400 + i));
      signedAgain.push(performance.now() - t);
    }
    console.log(
      `audit: head signature per finding: Ed25519 sign ${signUs.toFixed(1)} µs; recordFinding median ${median(signedAgain).toFixed(2)} ms signed vs ${median(unsigned).toFixed(2)} ms unsigned (same run; fsync dominates)`,
    );
    t1 = performance.now();
    store.writeAnchor(paths.anchorsDir);
    console.log(`audit: write an anchor (sign + checkpoint file): ${ms(t1)}`);

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
    // Coverage: the trust store, the anchors folder, a PDF report of a recent finding as a given anchor.
    const trust = TrustStore.load(paths.trustFile);
    const recent = store.list({ limit: 1 }).find((r) => r.findingId)!;
    const anchors = parseAnchor(await renderFindingsPdf(await pdfInputsFor(store, [recent.findingId!], { includeIdentifying: false })), 'recent.pdf');
    const evidenceOnce = (label: string) => {
      const t = performance.now();
      const v = store.verifyEvidence({ trust, anchors, anchorsDir: paths.anchorsDir, full: true });
      const wall = performance.now() - t;
      const par = lastParallelScan();
      console.log(
        `audit: verify with coverage ${v.events} events ${label}: ${wall.toFixed(0)} ms wall (target < 2000 ms${wall < 2000 ? ', met' : ', MISSED'}), ${par.threads} thread(s); ` +
          `${v.signers[0]?.signatures ?? 0} head signatures, covered ${v.coverage.covered ? `1..${v.coverage.covered.to}` : 'none'}, ${v.anchors.length} anchor(s), verdict ${v.verdict}; load average ${loadavg()[0].toFixed(1)}`,
      );
    };
    for (let rep = 0; rep < 3; rep++) evidenceOnce('(chain + payloads + signatures + anchors)');
    configureParallelVerify({ workers: false });
    try {
      evidenceOnce('in one thread');
    } finally {
      configureParallelVerify({ workers: true });
    }
    // The coverage part alone: the chain resumes after the prefix verified just now (as the app's audit:verify does).
    const cov: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      store.verifyEvidence({ trust, anchors, anchorsDir: paths.anchorsDir });
      cov.push(performance.now() - t);
    }
    console.log(`audit: coverage check alone (signatures joined with events, the pinned key's newest signature verified, anchors): median ${median(cov).toFixed(0)} ms`);

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
