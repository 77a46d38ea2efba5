/**
 * Child process for the crash test: records findings in a loop and prints each id only after
 * recordFinding returned (i.e. after the durable commit). The parent kills it with SIGKILL.
 */
import { writeSync } from 'node:fs';
import { AuditStore } from '../../db/audit-store';
import { makeInput } from './helpers';

const file = process.argv[2];
const start = Number(process.argv[3] ?? 0);
const store = AuditStore.open(file);
writeSync(1, 'ready\n');
for (let i = start; ; i++) {
  const rec = store.recordFinding(makeInput({ seed: i, mapSize: 48, reviewer: `r${i % 3}` }));
  writeSync(1, `${rec.findingId}\n`);
}
