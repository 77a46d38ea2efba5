// What a user meets first, on the paper-speed bundles (the paper's seeded ViT-B/32 and B/16 weights,
// /tmp/refbundle-b32, -b16; PAPER_BUNDLE_B32 / _B16; STARTUP_SHAPES, default b32,b16):
// - fresh processes: the first image and text maps and the first metrics with no graph cache (graphs
//   derived) and with it (graphs read from disk), then warm runs; with the cache, gradient graphs
//   with pre-packed weights (the app) and without (the CLI's explain), and the towers' too, alternated; per phase (bundle load, graph from
//   disk: check + session, derivation) and peak RSS of each process against the model's file size;
// - the CLI: start-up to first output (built bundle vs tsx), and one `candor explain --target both`
//   with metrics, wall time and peak RSS (GNU time), with an empty graph cache (once) and with the
//   cache present, and its phases;
// - the paper's own PyTorch code on the same weights in the same run (bench_reference.py, paper_seq,
//   3 runs, 2 threads; its median is the warm figure the targets compare with).
// The CPU model, core count and load average are printed: this machine may be shared.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadClipBundle } from '../../native-models/clip/bundle';
import { explain, prepareExplainer } from '../../native-models/explain/index';
import { GraphCache } from '../../native-models/runtime/graph-cache';
import { median, phantom } from './scan';
import { appVersion } from '../../electron/version';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TEXT = 'Small left pleural effusion with adjacent atelectasis; no pneumothorax.';
const WARM = 3;
const CLI_RUNS = 3;

interface ChildResult {
  loadS: number;
  /** prepareExplainer, as the app runs it after loading (0 where not run). */
  prepareS: number;
  /** Both towers' embeddings of the image and text, median of the warm explanations. */
  warmEncodeS: number;
  firstImageS: number;
  warmImageS: number;
  firstTextS: number;
  warmTextS: number;
  firstMetricsS: number;
  warmMetricsS: number;
  peakMiB: number;
  cache: GraphCache['stats'];
}

async function child(dir: string, cacheDir: string, prepack: boolean, prepare: boolean, towersPrepack: boolean): Promise<ChildResult> {
  // Keyed as the CLI keys it (graphCacheIn), so the CLI row below finds these entries.
  const cache = new GraphCache(cacheDir, { candorVersion: appVersion() });
  let t = performance.now();
  const bundle = await loadClipBundle(dir, { prefer: 'cpu', graphCache: cache, gradientPrepack: prepack, towerPrepack: towersPrepack });
  const loadS = (performance.now() - t) / 1000;
  t = performance.now();
  // The app's path: the default graphs built (and warmed) while the reader looks, before the first click.
  if (prepare) await prepareExplainer(bundle);
  const prepareS = (performance.now() - t) / 1000;
  const image = phantom(512);
  const opts = { method: 'nib' as const, layer: 9, steps: 10, metrics: false };
  const encode: number[] = [];
  const side = async (target: 'image' | 'text'): Promise<{ first: number; warm: number }> => {
    const ms = (e: Awaited<ReturnType<typeof explain>>): number => (target === 'image' ? e.timings.imageMs : e.timings.textMs) / 1000;
    const first = ms(await explain(bundle, image, TEXT, { ...opts, target }));
    const warm: number[] = [];
    for (let i = 0; i < WARM; i++) {
      const e = await explain(bundle, image, TEXT, { ...opts, target });
      warm.push(ms(e));
      encode.push(e.timings.encodeMs / 1000);
    }
    return { first, warm: median(warm) };
  };
  const img = await side('image');
  const txt = await side('text');
  t = performance.now();
  const m1 = await explain(bundle, image, TEXT, { ...opts, target: 'both', metrics: true });
  const m2 = await explain(bundle, image, TEXT, { ...opts, target: 'both', metrics: true });
  await bundle.dispose();
  return {
    loadS, prepareS, warmEncodeS: median(encode), firstImageS: img.first, warmImageS: img.warm, firstTextS: txt.first, warmTextS: txt.warm,
    firstMetricsS: m1.timings.metricsMs / 1000, warmMetricsS: m2.timings.metricsMs / 1000,
    peakMiB: process.resourceUsage().maxRSS / 1024, cache: cache.stats,
  };
}

function runChild(dir: string, cacheDir: string, prepack = true, prepare = false, towersPrepack = true): ChildResult | null {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', dir, cacheDir, ...(prepack ? ['--prepack'] : []), ...(prepare ? ['--prepare'] : []), ...(towersPrepack ? [] : ['--towers-no-prepack'])], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  if (r.status !== 0 || !line) {
    console.log(`  child failed (${r.status}): ${r.stderr.split('\n').slice(-4).join(' ')}`);
    return null;
  }
  return JSON.parse(line) as ChildResult;
}

/** Seconds from spawning to the first byte on stdout. */
function firstOutput(cmd: string, args: string[]): Promise<number> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const p = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
    let seen: number | null = null;
    p.stdout.on('data', () => (seen ??= (performance.now() - t0) / 1000));
    p.on('error', fail);
    p.on('close', () => (seen === null ? fail(new Error(`${cmd} ${args.join(' ')}: no output`)) : done(seen)));
  });
}

/** Wall seconds and peak RSS (MiB, from GNU time where installed) of one command. */
function timed(args: string[], env: NodeJS.ProcessEnv): { wallS: number; peakMiB: number | null; ok: boolean; tail: string } {
  const gnuTime = existsSync('/usr/bin/time');
  const t0 = performance.now();
  const r = gnuTime
    ? spawnSync('/usr/bin/time', ['-f', 'PEAK_KIB %M', process.execPath, ...args], { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 1 << 26 })
    : spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 1 << 26 });
  const wallS = (performance.now() - t0) / 1000;
  const m = /PEAK_KIB (\d+)/.exec(r.stderr ?? '');
  return { wallS, peakMiB: m ? Number(m[1]) / 1024 : null, ok: r.status === 0, tail: (r.stderr ?? '').split('\n').slice(-3).join(' ') };
}

/** The CLI's own timings (its --json output) and what the rest of the wall time went to (start-up, bundle load, writing). */
function cliPhases(json: string, wallS: number): string {
  try {
    const t = (JSON.parse(readFileSync(json, 'utf8')) as { timings: Record<string, number> }).timings;
    const named = ['preprocessMs', 'encodeMs', 'imageMs', 'textMs', 'metricsMs'].filter((k) => t[k] !== undefined).map((k) => `${k.replace(/Ms$/, '')} ${s3(t[k] / 1000)}`);
    return `${named.join(' + ')} s of explain; start-up + bundle load + output ${s3(wallS - t.totalMs / 1000)} s`;
  } catch (e) {
    return `not read (${(e as Error).message})`;
  }
}

function paperWarm(config: string): number | null {
  const tools = process.env.PAPER_SPEED_DIR ?? [join(ROOT, '..', 'shared', 'tools', 'paper-speed'), join(ROOT, '..', '..', 'shared', 'tools', 'paper-speed')].find((d) => existsSync(d));
  if (!tools || !existsSync(join(tools, 'bench_reference.py')) || !existsSync('/usr/bin/python3')) return null;
  const r = spawnSync('/usr/bin/python3', [join(tools, 'bench_reference.py'), '--config', config, '--variants', 'paper_seq', '--runs', '3', '--threads', '2', '--no-check'], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const m = /paper_seq\s+median ([\d.]+) s\/image/.exec(r.stdout);
  return m ? Number(m[1]) : null;
}

const s3 = (v: number): string => v.toFixed(3);
const load = (): string => loadavg()[0].toFixed(2);

export async function run(): Promise<void> {
  const cpu = spawnSync('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], { encoding: 'utf8' }).stdout.trim() || cpus()[0]?.model;
  console.log(`CPU: ${cpu}, ${cpus().length} cores; load average ${load()}`);

  const bin = join(ROOT, 'bin', 'candor.mjs');
  const built: number[] = [], tsx: number[] = [];
  await firstOutput(process.execPath, [bin, '--help']); // builds dist/cli if it is missing or stale
  for (let i = 0; i < 3; i++) {
    built.push(await firstOutput(process.execPath, [bin, '--help']));
    tsx.push(await firstOutput(process.execPath, ['--import', 'tsx', join(ROOT, 'electron', 'cli', 'main.ts'), '--help']));
  }
  console.log(`CLI start-up to first output (candor --help, median of 3): built bundle ${s3(median(built))} s, through tsx ${s3(median(tsx))} s`);

  for (const config of (process.env.STARTUP_SHAPES ?? 'b32,b16').split(',')) {
    const dir = process.env[`PAPER_BUNDLE_${config.toUpperCase()}`] ?? `/tmp/refbundle-${config}`;
    if (!existsSync(join(dir, 'onnx', 'vision_model.onnx'))) {
      console.log(`\n${config}: skipped, no bundle at ${dir} (make it with the paper-speed tools: export_bundle.py ${config} ${dir} --seed 0)`);
      continue;
    }
    const modelMiB = (statSync(join(dir, 'onnx', 'vision_model.onnx')).size + statSync(join(dir, 'onnx', 'text_model.onnx')).size) / 2 ** 20;
    const cacheDir = mkdtempSync(join(tmpdir(), 'candor-bench-graphs-'));
    try {
      console.log(`\n${config}: model files ${modelMiB.toFixed(0)} MiB; NIB layer 9, 10 steps; each row a fresh process (load ${load()})`);
      console.log('| process | bundle load s | warm encode s | first image map s | warm image map s | first text map s | warm text map s | first metrics s | warm metrics s | graphs from disk: check s + sessions s | derived s | peak RSS MiB (× model) |');
      console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
      const rows: Record<string, ChildResult> = {};
      // Gradient graphs with pre-packed weights (the app's and eval's setting) and without (the CLI's
      // explain), and the towers without them too (session.ts `prepack`), alternated: the rows of each
      // kind say how much is noise.
      const kinds: [string, boolean, boolean][] = [
        // The first use after the cold run replaces each graph opened by onnxruntime's optimized form of
        // it (graph-cache.ts adoptOptimized), once; the rows after it open those forms.
        ['no graph cache (cold)', true, true], ['graph cache, first use (graphs opened become their optimized forms; app setting)', true, true], ['graph cache, gradient weights pre-packed (the app, eval)', true, true], ['graph cache, gradient weights not pre-packed (the CLI\'s explain)', false, true],
        ['graph cache, no weights pre-packed (towers too)', false, false], ['graph cache, pre-packed (again)', true, true], ['graph cache, not pre-packed (again)', false, true],
      ];
      for (const [name, prepack, towers] of kinds) {
        const r = runChild(dir, cacheDir, prepack, false, towers);
        if (!r) continue;
        rows[name] = r;
        const c = r.cache;
        console.log(`| ${name} | ${s3(r.loadS)} | ${s3(r.warmEncodeS)} | ${s3(r.firstImageS)} | ${s3(r.warmImageS)} | ${s3(r.firstTextS)} | ${s3(r.warmTextS)} | ${s3(r.firstMetricsS)} | ${s3(r.warmMetricsS)} | ${c.hits} hits: ${s3(c.checkMs / 1000)} + ${s3(c.sessionMs / 1000)} | ${s3(c.deriveMs / 1000)} | ${r.peakMiB.toFixed(0)} (${(r.peakMiB / modelMiB).toFixed(2)}×) |`);
      }

      const app = runChild(dir, cacheDir, true, true);
      if (app) console.log(`app path (graph cache present; load ${s3(app.loadS)} s, then the default graphs prepared and warmed in ${s3(app.prepareS)} s, as the app does before the first click): first image map ${s3(app.firstImageS)} s, warm ${s3(app.warmImageS)} s; first text map ${s3(app.firstTextS)} s, warm ${s3(app.warmTextS)} s`);

      const env = { ...process.env, CANDOR_CACHE_DIR: cacheDir };
      // With the curves (the default) and without (--no-curves: the paper's four confidence metrics), alternated.
      const variants = [['with metrics', []], ['with --no-curves', ['--no-curves']]] as const;
      const cliArgs = (extra: readonly string[], out: string): string[] => [bin, 'explain', '--model', dir, '--image', join(ROOT, 'native-models', 'demo', 'studies', 'demo-01.png'), '--text', TEXT, '--target', 'both', '--prefer', 'cpu', '--quiet', ...extra, '--json', out];
      // The first run of a model and layer: an empty graph cache, so every graph is derived (and stored).
      for (const [name, extra] of variants) {
        const empty = mkdtempSync(join(tmpdir(), 'candor-bench-graphs-empty-'));
        try {
          const r = timed(cliArgs(extra, join(empty, 'out.json')), { ...process.env, CANDOR_CACHE_DIR: empty });
          const peak = r.peakMiB === null ? '' : `, peak RSS ${r.peakMiB.toFixed(0)} MiB (${(r.peakMiB / modelMiB).toFixed(2)}× the model files)`;
          console.log(r.ok ? `CLI: candor explain --target both ${name}, empty graph cache (graphs derived): ${s3(r.wallS)} s wall${peak} (load ${load()})` : `CLI: candor explain --target both ${name}, empty graph cache: failed: ${r.tail}`);
        } finally {
          rmSync(empty, { recursive: true, force: true });
        }
      }
      const cliRuns = new Map<string, (ReturnType<typeof timed> & { out: string })[]>(variants.map(([name]) => [name, []]));
      for (let i = 0; i < CLI_RUNS; i++) {
        for (const [name, extra] of variants) {
          const out = join(cacheDir, `out-${i}-${extra.length}.json`);
          const r = timed(cliArgs(extra, out), env);
          cliRuns.get(name)?.push({ ...r, out });
        }
      }
      for (const [name, runs] of cliRuns) {
        const failed = runs.find((r) => !r.ok);
        if (failed) {
          console.log(`CLI: candor explain --target both ${name}: failed: ${failed.tail}`);
          continue;
        }
        const walls = runs.map((r) => r.wallS);
        const peaks = runs.map((r) => r.peakMiB).filter((p): p is number => p !== null);
        const peak = peaks.length ? `, peak RSS ${Math.min(...peaks).toFixed(0)}–${Math.max(...peaks).toFixed(0)} MiB (${(Math.max(...peaks) / modelMiB).toFixed(2)}× the model files at most)` : '';
        console.log(`CLI: candor explain --target both ${name}, graph cache present, ${runs.length} runs: ${s3(median(walls))} s wall median (${s3(Math.min(...walls))}–${s3(Math.max(...walls))})${peak} (load ${load()}); target < 3 s`);
        console.log(`  phases of its first run: ${cliPhases(runs[0].out, runs[0].wallS)}`);
      }

      const paper = paperWarm(config);
      if (paper === null) console.log('paper code: not run (paper-speed tools or /usr/bin/python3 not found)');
      else {
        console.log(`paper code (PyTorch, paper_seq, median of 3, 2 threads): ${s3(paper)} s per image map (load ${load()})`);
        for (const [name, cached] of Object.entries(rows).filter(([n]) => n.startsWith('graph cache'))) {
          console.log(`→ ${name}: first image map in a fresh process ${s3(cached.firstImageS)} s = ${(paper / cached.firstImageS).toFixed(2)}× the paper code's warm figure (target ≥ 1.5×); warm ${s3(cached.warmImageS)} s = ${(paper / cached.warmImageS).toFixed(2)}× (target ≥ 3×)`);
        }
      }
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  }
}

const argv = process.argv;
const at = argv.indexOf('--child');
if (at >= 0) {
  child(argv[at + 1], argv[at + 2], argv.includes('--prepack'), argv.includes('--prepare'), !argv.includes('--towers-no-prepack')).then(
    (r) => console.log(JSON.stringify(r)),
    (e: Error) => {
      console.error(e.stack ?? e.message);
      process.exit(1);
    },
  );
}
