/**
 * What the store refuses at the file level: REPLACE on any audit table (triggers in place), a
 * database that is not a Candor log (left byte-identical, no -wal), writes over evidence
 * (the output guard); and how it reads a log on a read-only medium.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AuditError, AuditStore } from '../../db/audit-store';
import { APPLICATION_ID } from '../../db/schema';
import { checkOutputPath, classifyDatabaseFile, OutputPathError, protectedPaths } from '../../db/file-guard';
import { installationPaths } from '../../db/installation';
import { installationKey } from '../../db/installation-key';
import { auditCommand } from '../../electron/cli/commands/audit';
import { inTempDir, makeInput, TEST_KEY } from './helpers';

const TABLES = ['models', 'scans', 'explanations', 'findings', 'audit_events', 'head_signatures', 'chain_head'] as const;

function dump(db: Database.Database): string {
  return JSON.stringify(TABLES.map((t) => db.prepare(`SELECT rowid, * FROM ${t} ORDER BY rowid`).raw(true).all()), (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('base64') : v));
}

test('INSERT OR REPLACE and REPLACE INTO are refused on every audit table, the triggers in place', () => {
  inTempDir((dir) => {
    const file = join(dir, 'audit.db');
    const store = AuditStore.open(file, { signingKey: TEST_KEY });
    store.recordFinding(makeInput({ seed: 1 }));
    store.recordFinding(makeInput({ seed: 2 }));
    store.close();
    const raw = new Database(file);
    const before = dump(raw);
    let attempts = 0;
    for (const table of TABLES) {
      // The newest row, every column as it is: the REPLACE would delete it and insert the copy.
      const row = raw.prepare(`SELECT rowid AS _rowid, * FROM ${table} ORDER BY rowid DESC LIMIT 1`).get() as Record<string, unknown>;
      const { _rowid, ...cols } = row;
      const names = Object.keys(cols);
      const variants: Record<string, unknown>[] = [cols];
      if (table === 'findings') variants.push({ ...cols, id: 'smuggled-id' }, { ...cols, id: 'other', seq: 999 });
      for (const values of variants) {
        for (const verb of ['INSERT OR REPLACE INTO', 'REPLACE INTO']) {
          const withRowid = table === 'findings' && values.seq === 999;
          const sql = `${verb} ${table} (${withRowid ? 'rowid, ' : ''}${names.join(', ')}) VALUES (${withRowid ? `${Number(_rowid)}, ` : ''}${names.map((n) => `@${n}`).join(', ')})`;
          assert.throws(() => raw.prepare(sql).run(values), /append-only|chain head/, `${sql} was not refused`);
          attempts++;
        }
      }
    }
    assert.equal(attempts, TABLES.length * 2 + 4);
    assert.equal(dump(raw), before, 'no row changed or disappeared');
    raw.close();
    const check = AuditStore.open(file, { readOnly: true });
    assert.equal(check.verify({ full: true }).ok, true);
    check.close();
  });
});

function filesIn(dir: string): string[] {
  return readdirSync(dir).sort();
}

test("another application's SQLite file is refused before SQLite opens it: byte-identical, no -wal or -shm", async () => {
  await inTempDir(async (dir) => {
    const other = join(dir, 'notes.sqlite');
    const raw = new Database(other);
    raw.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('keep me')");
    raw.close();
    const tagged = join(dir, 'tagged.sqlite');
    const t = new Database(tagged);
    t.pragma('application_id = 1234');
    t.exec('CREATE TABLE things (x)');
    t.close();
    const bytes = { [other]: readFileSync(other), [tagged]: readFileSync(tagged) };
    const listing = filesIn(dir);
    for (const file of [other, tagged]) {
      for (const readOnly of [false, true]) {
        assert.throws(
          () => AuditStore.open(file, { readOnly, signingKey: readOnly ? undefined : TEST_KEY }),
          (e: unknown) => e instanceof AuditError && e.message.includes(file) && /is not a Candor audit log: .*(tables notes|application id is 0x000004d2).*left unchanged/.test(e.message),
        );
      }
      let err = '';
      const code = await auditCommand(['verify', '--db', file, '--config-dir', join(dir, 'cfg')], { stdout: () => undefined, stderr: (s) => (err += s) });
      assert.equal(code, 2);
      assert.match(err, /not a Candor audit log/);
      assert.ok(readFileSync(file).equals(bytes[file]!), `${file} is byte-identical`);
    }
    assert.deepEqual(filesIn(dir), listing, 'no -wal, -shm or journal was made');
    assert.deepEqual(classifyDatabaseFile(join(dir, 'missing.db')), { kind: 'new' });
  });
});

test('a log from before schema 6 (no application id) is recognised by its tables and gets the id on upgrade', () => {
  inTempDir((dir) => {
    const file = join(dir, 'old.db');
    copyFileSync(join(import.meta.dirname, 'fixtures', 'schema4-codec1.db'), file);
    assert.equal(readFileSync(file).readUInt32BE(68), 0, 'the old release set no application id');
    assert.deepEqual(classifyDatabaseFile(file), { kind: 'candor', applicationId: false });
    const store = AuditStore.open(file);
    assert.equal(store.verify({ full: true }).ok, true);
    store.close();
    assert.equal(readFileSync(file).readUInt32BE(68), APPLICATION_ID, 'the id is in the header now');
    assert.deepEqual(classifyDatabaseFile(file), { kind: 'candor', applicationId: true });
  });
});

test('verifying a WAL log on a read-only medium reads a private copy and says so; nothing is reported as corrupt', async (t) => {
  await inTempDir(async (dir) => {
    const src = join(dir, 'src');
    const ro = join(dir, 'ro');
    mkdirSync(src);
    mkdirSync(ro);
    const config = join(dir, 'config');
    const store = AuditStore.open(join(src, 'audit.db'), { signingKey: installationKey(installationPaths(config)).key });
    store.recordFinding(makeInput({ seed: 1 }));
    store.close();
    assert.deepEqual(filesIn(src), ['audit.db']);
    try {
      execFileSync('mount', ['--bind', '-o', 'ro', src, ro], { stdio: 'pipe' });
    } catch (err) {
      t.skip(`a read-only bind mount needs root (${String((err as Error).message).split('\n')[0]})`);
      return;
    }
    try {
      assert.throws(() => writeFileSync(join(ro, 'probe'), 'x'), /read-only file system/i);
      let out = '';
      const code = await auditCommand(['verify', '--db', join(ro, 'audit.db'), '--config-dir', config], { stdout: (s) => (out += s), stderr: (s) => (out += s) });
      assert.equal(code, 0, out);
      assert.match(out, /read-only medium: a private copy was read/);
      assert.doesNotMatch(out, /quick_check|corrupt|damaged/);
      assert.deepEqual(filesIn(ro), ['audit.db']);
    } finally {
      execFileSync('umount', [ro]);
    }
  });
});

test('the output guard refuses the database, its journals, keys, the trust store and anchors, through symlinks too', () => {
  inTempDir((dir) => {
    const db = join(dir, 'audit.db');
    const inst = installationPaths(join(dir, 'config'));
    const store = AuditStore.open(db, { signingKey: installationKey(inst).key });
    store.recordFinding(makeInput({ seed: 1 }));
    const anchor = store.writeAnchor(inst.anchorsDir);
    const guard = protectedPaths({ databases: [db], installation: inst });
    symlinkSync(db, join(dir, 'innocent.pdf'));
    const refused: [string, RegExp][] = [
      [db, /it is the audit database/],
      [`${db}-wal`, /audit database's own journal file/],
      [`${db}-shm`, /audit database's own journal file/],
      [join(dir, 'innocent.pdf'), /it is the audit database/],
      [join(inst.keysDir, 'signing-key.plain.json'), /holds the audit keys or anchors/],
      [inst.trustFile, /it is the trust store/],
      [anchor, /holds the audit keys or anchors/],
      [join(dir, 'nope', 'out.pdf'), /the folder .*nope does not exist/],
      [dir, /this is a folder/],
    ];
    for (const [path, why] of refused) assert.throws(() => checkOutputPath(path, guard, 'the PDF report'), (e: unknown) => e instanceof OutputPathError && why.test(e.message), path);
    // Guarded by content too, where the caller did not name the file: another SQLite database, a copied key.
    const otherDb = join(dir, 'other.sqlite');
    copyFileSync(db, otherDb);
    assert.throws(() => checkOutputPath(otherDb, protectedPaths({}), 'the output'), /it is a SQLite database/);
    copyFileSync(join(inst.keysDir, 'signing-key.plain.json'), join(dir, 'key-copy.json'));
    assert.throws(() => checkOutputPath(join(dir, 'key-copy.json'), protectedPaths({}), 'the output'), /it holds a signing key/);
    assert.equal(checkOutputPath(join(dir, 'report.pdf'), guard, 'the PDF report'), join(dir, 'report.pdf'));
    store.close();
    assert.ok(existsSync(db));
  });
});
