// The method registry: every method declares its sides, settings, defaults and limits once
// (METHOD_SPECS), and the contract, explain(), the CLI's help and its option parsing all read them.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ExplainRequestSchema, LAYER, METHOD_SPECS, METHODS, STEPS, withinLimit, type Method } from '../../electron/api/contract';
import { explainCommand } from '../../electron/cli/commands/explain';
import { evalCommand } from '../../electron/cli/commands/eval';
import { cliOption } from '../../electron/cli/method-options';
import { loadClipBundle, type ClipBundle } from '../../native-models/clip/bundle';
import { explain, ExplainError } from '../../native-models/explain/index';
import { paramOption } from '../../native-models/explain/methods';
import { ATTRIBUTORS } from '../../native-models/explain/registry';
import { MINI, REF, readCase, readPng } from '../clip/helpers';

let bundle: ClipBundle;
before(async () => {
  bundle = await loadClipBundle(MINI, { prefer: 'cpu' });
});
after(async () => {
  await bundle?.dispose();
});

const sidesOf = (m: Method) => (['image', 'text'] as const).filter((s) => METHOD_SPECS[m].sides[s]);

test('every method has one spec and one attributor, and they agree on sides and settings', () => {
  assert.deepEqual(Object.keys(METHOD_SPECS).sort(), [...METHODS].sort());
  assert.deepEqual(Object.keys(ATTRIBUTORS).sort(), [...METHODS].sort());
  for (const m of METHODS) {
    const spec = METHOD_SPECS[m];
    const a = ATTRIBUTORS[m];
    assert.equal(spec.id, m);
    assert.equal(a.spec, spec, `${m}: the attributor carries the spec itself`);
    assert.ok(spec.label.length > 0 && spec.summary.length > 0, `${m}: label and summary`);
    assert.equal(a.image !== null, spec.sides.image, `${m}: image side`);
    assert.equal(a.text !== null, spec.sides.text, `${m}: text side`);
    // usesLayer says whether the layer setting matters: exactly the methods with a side on the layer's stream.
    assert.equal([a.image?.reads, a.text?.reads].includes('layer'), spec.usesLayer, `${m}: usesLayer`);
    for (const side of ['image', 'text'] as const) {
      const group = spec.params[side];
      if (!spec.sides[side]) assert.equal(group, null, `${m}: no settings for a side it does not explain`);
      const options = Object.entries(group?.params ?? {}).map(([name, p]) => paramOption(name, p));
      assert.equal(new Set(options).size, options.length, `${m} ${side}: one option key per setting`);
    }
  }
});

test('every setting declares limits, and a default within them', () => {
  const checked: string[] = [];
  for (const m of METHODS) {
    for (const side of sidesOf(m)) {
      for (const [name, p] of Object.entries(METHOD_SPECS[m].params[side]?.params ?? {})) {
        assert.ok(Number.isFinite(p.min) && Number.isFinite(p.max) && p.min <= p.max, `${m}.${name}: limits`);
        assert.ok(withinLimit(p, p.default), `${m}.${name}: default ${p.default} within ${p.min}–${p.max}`);
        assert.ok(p.summary.length > 0, `${m}.${name}: summary`);
        checked.push(`${m}.${side}.${name}`);
      }
    }
  }
  assert.ok(withinLimit(STEPS, STEPS.default));
  assert.ok(checked.length >= 14, checked.join(' '));
});

test("the contract's limits are the registry's: steps, layer and methods of ExplainRequestSchema", () => {
  const ok = (extra: object) => ExplainRequestSchema.safeParse({ scanId: 's', text: 'nodule', ...extra }).success;
  assert.ok(ok({ steps: STEPS.min }) && ok({ steps: STEPS.max }));
  assert.ok(!ok({ steps: STEPS.min - 1 }) && !ok({ steps: STEPS.max + 1 }) && !ok({ steps: 2.5 }));
  assert.ok(ok({ layer: LAYER.min }) && ok({ layer: LAYER.max }));
  assert.ok(!ok({ layer: LAYER.min - 1 }) && !ok({ layer: LAYER.max + 1 }));
  for (const m of METHODS) assert.ok(ok({ method: m }), m);
  assert.ok(!ok({ method: 'magic' }));
});

test('explain() takes steps within STEPS only, the same limit as the contract', async () => {
  const c = readCase('case05');
  const img = readPng(join(REF, c.image));
  for (const steps of [STEPS.min - 1, STEPS.max + 1, 1.5]) {
    await assert.rejects(explain(bundle, img, c.text, { method: 'nib', steps, target: 'text', metrics: false }), (e: Error) => e instanceof ExplainError && e.message.includes(`steps must be an integer ${STEPS.min}–${STEPS.max}`));
  }
  const e = await explain(bundle, img, c.text, { method: 'nib', steps: STEPS.max, layer: 3, target: 'text', metrics: false });
  assert.equal(e.params.steps, STEPS.max);
});

test('explain() records the settings under the keys recorded findings use, defaults from the registry', async () => {
  const c = readCase('case03');
  const img = readPng(join(REF, c.image));
  const rise = await explain(bundle, img, c.text, { method: 'rise', target: 'both', metrics: false, extra: { masks: 30, textMasks: 20, seed: 4 } });
  assert.deepEqual(rise.params, {
    layer: 3, steps: 10, target: 'both', letterbox: false,
    'rise.masks': 30, 'rise.cells': 8, 'rise.p': 0.1, 'rise.seed': 4, 'rise.batch': 25,
    'riseText.masks': 20, 'riseText.cells': 8, 'riseText.p': 0.1, 'riseText.seed': 4, 'riseText.batch': 50,
  });
  const m2ib = await explain(bundle, img, c.text, { method: 'm2ib', layer: 1, target: 'image', metrics: false, extra: { iterations: 2, beta: 0.5 } });
  assert.deepEqual(m2ib.params, { layer: 1, steps: 10, target: 'image', letterbox: false, 'm2ib.beta': 0.5, 'm2ib.iterations': 2, 'm2ib.lr': 1, 'm2ib.batch': 10, 'm2ib.seed': 0 });
  for (const m of ['nib', 'gradcam', 'saliency', 'ig'] as const) {
    const e = await explain(bundle, img, c.text, { method: m, layer: 1, steps: 2, target: 'both', metrics: false });
    assert.deepEqual(Object.keys(e.params), ['layer', 'steps', 'target', 'letterbox'], `${m} records no settings of its own`);
  }
});

test('explain() refuses a setting outside its limits, naming the method and the setting', async () => {
  const c = readCase('case03');
  const img = readPng(join(REF, c.image));
  await assert.rejects(explain(bundle, img, c.text, { method: 'm2ib', target: 'image', extra: { iterations: 1001 } }), (e: Error) => e instanceof ExplainError && /M2IB: iterations must be an integer 0–1000 \(got 1001\)/.test(e.message));
  await assert.rejects(explain(bundle, img, c.text, { method: 'rise', target: 'text', extra: { textMasks: 0 } }), (e: Error) => e instanceof ExplainError && /RISE: textMasks must be an integer 1–100000/.test(e.message));
  await assert.rejects(explain(bundle, img, c.text, { method: 'rise', target: 'image', extra: { p: 0 } }), (e: Error) => e instanceof ExplainError && /RISE: p must be a number 0.01–1/.test(e.message));
  await assert.rejects(explain(bundle, img, c.text, { method: 'nib', target: 'image', extra: { batch: 0 } }), (e: Error) => e instanceof ExplainError && /NIB: batch must be/.test(e.message));
});

function capture(): { out: string[]; err: string[]; io: { stdout: (s: string) => void; stderr: (s: string) => void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (s) => out.push(s), stderr: (s) => err.push(s) } };
}

test('the CLI help (explain and eval) lists every method with its label and every setting with its limits and default', async () => {
  for (const command of [explainCommand, evalCommand]) {
    const r = capture();
    assert.equal(await command(['--help'], r.io), 0);
    const help = r.out.join('');
    for (const m of METHODS) {
      const spec = METHOD_SPECS[m];
      const line = help.split('\n').find((l) => l.trimStart().startsWith(`${m} `));
      assert.ok(line, `${m} has a line`);
      assert.ok(line.includes(`${spec.label}: ${spec.summary}`), `${m}: ${line}`);
      assert.equal(line.includes('--layer'), spec.usesLayer, `${m} says whether it reads --layer`);
      assert.equal(line.includes('--steps'), spec.usesSteps, `${m} says whether it reads --steps`);
      for (const side of sidesOf(m)) {
        for (const [name, p] of Object.entries(spec.params[side]?.params ?? {})) {
          const option = `--${cliOption(paramOption(name, p))} `;
          assert.ok(help.split('\n').some((l) => l.includes(option) && l.includes(`default ${p.default}]`) && l.includes(`${p.min}–${p.max}`)), `${m} ${option}with its limits and default`);
        }
      }
    }
    assert.ok(help.includes(`--steps N: an integer ${STEPS.min}–${STEPS.max} (default ${STEPS.default})`));
  }
});

test('the CLI takes method settings as options: checked against the method and its limits', async () => {
  const base = ['--model', MINI, '--image', join(REF, 'case05.png'), '--text', 'Pneumothorax!', '--no-metrics', '--quiet', '--json', '-'];
  const r = capture();
  assert.equal(await explainCommand([...base, '--method', 'nib', '--beta', '0.3'], r.io), 2);
  assert.match(r.err.join(''), /--beta is not a setting of NIB/);
  const r2 = capture();
  assert.equal(await explainCommand([...base, '--method', 'rise', '--text-masks', '0'], r2.io), 2);
  assert.match(r2.err.join(''), /--text-masks must be an integer 1–100000 \(got "0"\)/);
  const r3 = capture();
  assert.equal(await explainCommand([...base, '--steps', String(STEPS.max + 1)], r3.io), 2);
  assert.match(r3.err.join(''), new RegExp(`--steps must be an integer ${STEPS.min}–${STEPS.max}`));
  const r4 = capture();
  assert.equal(await explainCommand([...base, '--method', 'rise', '--target', 'text', '--text-masks', '12', '--cells', '4', '--p', '0.5'], r4.io), 0, r4.err.join(''));
  const j = JSON.parse(r4.out.join('')) as { params: Record<string, unknown> };
  assert.deepEqual([j.params['riseText.masks'], j.params['riseText.cells'], j.params['riseText.p']], [12, 4, 0.5]);
});
