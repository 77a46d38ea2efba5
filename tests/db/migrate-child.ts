/**
 * Child process for the interrupted-migration test: opens an old audit file with the real
 * AuditStore, which migrates it; when the migration reaches the statement the parent names, this
 * says so and stops right there, inside the migration's transaction, until the parent kills it.
 */
import { writeSync } from 'node:fs';
import Database from 'better-sqlite3';
import { AuditStore } from '../../db/audit-store';

const [file, stopAt] = process.argv.slice(2) as [string, string];
const exec = Database.prototype.exec;
Database.prototype.exec = function (this: Database.Database, sql: string) {
  if (sql.includes(stopAt)) {
    writeSync(1, 'migrating\n');
    // Blocks this thread for good: the parent's SIGKILL ends it mid-transaction.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  }
  return exec.call(this, sql);
};
AuditStore.open(file);
writeSync(1, 'finished\n');
