// NIB's image map against the NIB paper's own PyTorch code on the same machine and the same weights,
// measured alternately (the machine may be shared: each side is timed several times, the order flips
// every round, the load average is printed with every figure, and medians are compared).
//
// Needs the paper-speed tools (bench_reference.py, exporting the same seeded weights as a bundle) and
// the bundles they export; PAPER_SPEED_DIR (default: ../shared/tools/paper-speed beside the checkout),
// PAPER_BUNDLE_B16 / PAPER_BUNDLE_B32 (default /tmp/refbundle-b16, /tmp/refbundle-b32), PAPER_ROUNDS
// (default 3), PAPER_SHAPES (default b16,b32). Skipped, saying why, where they are missing.
//
// Ours: a child process loads the bundle, explains once (graphs built), then N warm image-only NIB
// explanations (layer 9, 10 steps, one batch, a 512×512 scan): the median of `timings.imageMs`
// (the tail+gradient runs and the scores, as `npm run bench explain` reports it) and of the whole
// explain() call (preprocessing, both towers' forward pass, map). The paper's: bench_reference.py
// --variants paper_seq --runs 3 --threads 2 (nib_v statement by statement: the forward to layer 9,
// 10 sequential steps with weight gradients as in a from_pretrained model, the map), its median.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadClipBundle } from '../../native-models/clip/bundle';
import { explain } from '../../native-models/explain/index';
import { median, phantom } from './scan';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RUNS = 5;



async function child(dir: string): Promise<{ imageS: number; totalS: number; cpuS: number; similarity: number }> {
  const bundle = await loadClipBundle(dir, { prefer: 'cpu' });
  const image = phantom(512);
  const text = 'Small left pleural effusion with adjacent atelectasis; no pneumothorax.';
  const opts = { method: 'nib' as const, layer: 9, steps: 10, target: 'image' as const, metrics: false };
  await explain(bundle, image, text, opts);
  const img: number[] = [], total: number[] = [], cpu: number[] = [];
  let similarity = 0;
  for (let i = 0; i < RUNS; i++) {
    const u = process.cpuUsage();
    const t0 = performance.now();
    const e = await explain(bundle, image, text, opts);
    total.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(u);
    cpu.push((c.user + c.system) / 1e6);
    img.push(e.timings.imageMs / 1000);
    similarity = e.similarity;
  }
  await bundle.dispose();
  return { imageS: median(img), totalS: median(total), cpuS: median(cpu), similarity };
}

/** Busy share of all cores over `ms`, from /proc/stat (Linux); null elsewhere. */
async function busy(ms: number): Promise<number | null> {
  const read = (): number[] | null => {
    try {
      return readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    } catch {
      return null;
    }
  };
  const a = read();
  await new Promise((r) => setTimeout(r, ms));
  const b = read();
  if (!a || !b) return null;
  const d = b.map((v, i) => v - a[i]);
  const total = d.reduce((x, y) => x + y, 0);
  return total > 0 ? 1 - (d[3] + d[4]) / total : null;
}

/** Waits (up to `limitS`) for a 3-second window in which other work keeps the cores < 10% busy; returns the last share seen. */
async function waitForIdle(limitS: number): Promise<number | null> {
  const t0 = performance.now();
  let b = await busy(3000);
  while (b !== null && b > 0.1 && performance.now() - t0 < limitS * 1000) b = await busy(3000);
  return b;
}

function ours(dir: string): { imageS: number; totalS: number; cpuS: number } | null {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', dir], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  if (r.status !== 0 || !line) {
    console.log(`  ours: failed (${r.status}) ${r.stderr.split('\n').slice(-3).join(' ')}`);
    return null;
  }
  return JSON.parse(line) as { imageS: number; totalS: number; cpuS: number };
}

function paper(tools: string, config: string): number | null {
  const r = spawnSync('/usr/bin/python3', [join(tools, 'bench_reference.py'), '--config', config, '--variants', 'paper_seq', '--runs', '3', '--threads', '2', '--no-check'], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const m = /paper_seq\s+median ([\d.]+) s\/image/.exec(r.stdout);
  if (!m) {
    console.log(`  paper: failed (${r.status}) ${(r.stderr || r.stdout).split('\n').slice(-3).join(' ')}`);
    return null;
  }
  return Number(m[1]);
}

export async function run(): Promise<void> {
  const tools = process.env.PAPER_SPEED_DIR ?? [join(ROOT, '..', 'shared', 'tools', 'paper-speed'), join(ROOT, '..', '..', 'shared', 'tools', 'paper-speed')].find((d) => existsSync(d));
  if (!tools || !existsSync(join(tools, 'bench_reference.py'))) {
    console.log('paper bench skipped: the paper-speed tools are not found (set PAPER_SPEED_DIR to the folder with bench_reference.py)');
    return;
  }
  const rounds = Number(process.env.PAPER_ROUNDS ?? 3);
  const cpu = spawnSync('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2; nproc"], { encoding: 'utf8' }).stdout.trim().replace(/\s*\n/, ', ');
  console.log(`CPU: ${cpu} cores`);
  for (const config of (process.env.PAPER_SHAPES ?? 'b16,b32').split(',')) {
    const dir = process.env[`PAPER_BUNDLE_${config.toUpperCase()}`] ?? `/tmp/refbundle-${config}`;
    if (!existsSync(join(dir, 'onnx', 'vision_model.onnx'))) {
      console.log(`${config}: skipped, no bundle at ${dir} (make it: /usr/bin/python3 ${join(tools, 'export_bundle.py')} ${config} ${dir} --seed 0)`);
      continue;
    }
    console.log(`\n${config}: ${rounds} rounds, alternating (ours: median of ${RUNS} warm runs; paper: median of 3)`);
    const oursImage: number[] = [], oursTotal: number[] = [], theirs: number[] = [];
    for (let k = 0; k < rounds; k++) {
      for (const side of k % 2 === 0 ? ['ours', 'paper'] : ['paper', 'ours']) {
        const idle = await waitForIdle(Number(process.env.PAPER_IDLE_WAIT_S ?? 300));
        const before = `${loadavg()[0].toFixed(2)}${idle === null ? '' : `, cores ${(100 * idle).toFixed(0)}% busy before`}`;
        if (side === 'ours') {
          const o = ours(dir);
          if (o) {
            oursImage.push(o.imageS);
            oursTotal.push(o.totalS);
            console.log(`  round ${k + 1} ours : image map ${o.imageS.toFixed(3)} s (whole explain() ${o.totalS.toFixed(3)} s, ${o.cpuS.toFixed(2)} CPU s)  load ${before} → ${loadavg()[0].toFixed(2)}`);
          }
        } else {
          const p = paper(tools, config);
          if (p !== null) {
            theirs.push(p);
            console.log(`  round ${k + 1} paper: ${p.toFixed(3)} s  load ${before} → ${loadavg()[0].toFixed(2)}`);
          }
        }
      }
    }
    if (oursImage.length && theirs.length) {
      const [a, t, p] = [median(oursImage), median(oursTotal), median(theirs)];
      console.log(`${config}: paper ${p.toFixed(3)} s, ours ${a.toFixed(3)} s image map (${(p / a).toFixed(2)}× faster), ${t.toFixed(3)} s whole explain() (${(p / t).toFixed(2)}×)`);
    }
  }
}

const argv = process.argv;
const at = argv.indexOf('--child');
if (at >= 0) {
  child(argv[at + 1]).then(
    (r) => console.log(JSON.stringify(r)),
    (e: Error) => {
      console.error(e.stack ?? e.message);
      process.exit(1);
    },
  );
}
