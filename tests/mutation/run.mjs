#!/usr/bin/env node
// npm run mutation [-- group …]: runs StrykerJS group by group (stryker.config.mjs, GROUPS), then
// merges every group's latest result into reports/mutation/mutation.json and mutation.html and
// checks the scores (scores.mjs). Groups not named keep their previous (incremental) results.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GROUPS } from '../../stryker.config.mjs';
import { checkScores } from './scores.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const out = join(root, 'reports', 'mutation');
const names = process.argv.slice(2).filter((a) => !a.startsWith('--'));
for (const n of names) if (!GROUPS[n]) throw new Error(`unknown group ${n} (one of ${Object.keys(GROUPS).join(', ')})`);
const run = names.length ? names : Object.keys(GROUPS);

mkdirSync(out, { recursive: true });
const timingsFile = join(out, 'timings.json');
const timings = existsSync(timingsFile) ? JSON.parse(readFileSync(timingsFile, 'utf8')) : {};
for (const name of run) {
  console.log(`\n=== mutation group ${name}: ${GROUPS[name].mutate.join(', ')}`);
  const t0 = Date.now();
  const res = spawnSync(process.execPath, [join(root, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js'), 'run', 'stryker.config.mjs'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, CANDOR_MUTATION_GROUP: name },
  });
  timings[name] = { seconds: Math.round((Date.now() - t0) / 1000), at: new Date().toISOString() };
  writeFileSync(timingsFile, JSON.stringify(timings, null, 1) + '\n');
  if (res.status !== 0) {
    console.error(`stryker failed for group ${name} (exit ${res.status})`);
    process.exit(res.status ?? 1);
  }
}

// One report from the groups' latest ones: test ids are per run, so they get the group's name.
const merged = { schemaVersion: '2', thresholds: { high: 90, low: 80 }, files: {}, testFiles: {} };
let template = null;
for (const name of Object.keys(GROUPS)) {
  const file = join(out, 'groups', name, 'mutation.json');
  if (!existsSync(file)) continue;
  const report = JSON.parse(readFileSync(file, 'utf8'));
  merged.schemaVersion = report.schemaVersion ?? merged.schemaVersion;
  merged.framework ??= report.framework;
  merged.projectRoot ??= report.projectRoot;
  const id = (t) => `${name}:${t}`;
  for (const [path, f] of Object.entries(report.files)) {
    merged.files[path] = { ...f, mutants: f.mutants.map((m) => ({ ...m, id: id(m.id), coveredBy: m.coveredBy?.map(id), killedBy: m.killedBy?.map(id) })) };
  }
  for (const [path, t] of Object.entries(report.testFiles ?? {})) {
    const prev = merged.testFiles[path]?.tests ?? [];
    merged.testFiles[path] = { ...t, tests: [...prev, ...t.tests.map((x) => ({ ...x, id: id(x.id) }))] };
  }
  template ??= join(out, 'groups', name, 'mutation.html');
}
writeFileSync(join(out, 'mutation.json'), JSON.stringify(merged));
if (template) {
  const html = readFileSync(template, 'utf8');
  const start = html.indexOf('app.report = ') + 'app.report = '.length;
  const end = html.indexOf(';\n', start);
  writeFileSync(join(out, 'mutation.html'), html.slice(0, start) + JSON.stringify(merged).replaceAll('</script', '<\\/script') + html.slice(end));
}
const ok = checkScores(merged, timings);
process.exit(ok ? 0 : 1);
