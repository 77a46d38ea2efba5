// The on-disk cache of derived graphs: a hit gives the same explanation as a derivation; a missing,
// truncated, corrupt or foreign entry is derived again (never an error); the size cap removes the
// entries used longest ago; the key changes with what the graph depends on. A graph hashed ahead of
// its check is checked with that hash only while the file is the one hashed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadClipBundle } from '../../native-models/clip/bundle';
import { explain } from '../../native-models/explain/index';
import { nibGradient, nibGraphAhead } from '../../native-models/explain/nib-graph';
import { GraphCache } from '../../native-models/runtime/graph-cache';
import { serializeModel } from '../../native-models/onnx/model';
import { MINI, REF, readCase, readPng } from '../clip/helpers';
import { testTempDir } from '../temp-dir';

const c = readCase('case01');
const img = readPng(join(REF, c.image));
const OPTS = { method: 'nib' as const, layer: 1, steps: 5, target: 'both' as const, metrics: false };

/** One explanation in a fresh bundle (a fresh process, as far as the graphs go) with `cache`. */
async function explainWith(cache: GraphCache | null, gradientPrepack = true): Promise<{ image: number[]; text: number[]; folded: boolean | undefined }> {
  const bundle = await loadClipBundle(MINI, { prefer: 'cpu', graphCache: cache, gradientPrepack });
  try {
    const e = await explain(bundle, img, c.text, OPTS);
    const g = await nibGradient(bundle, 'vision', 1);
    return { image: e.image!.tokenScores, text: e.text!.tokens.map((t) => t.raw), folded: g.folded?.applied };
  } finally {
    await bundle.dispose();
  }
}

function entryFiles(dir: string, ext: 'onnx' | 'weights'): string[] {
  return readdirSync(dir).filter((f) => f.endsWith(`.${ext}`)).map((f) => join(dir, f));
}

test('a graph from the cache explains exactly as the derived one; nothing is derived again', async () => {
  const dir = testTempDir('candor-graph-cache-');
  const derived = await explainWith(null);
  const first = new GraphCache(dir, { candorVersion: 'test' });
  assert.deepEqual(await explainWith(first), derived);
  assert.equal(first.stats.hits, 0);
  assert.ok(first.stats.written >= 2, `both towers' NIB graphs are stored (${first.stats.written} written)`);
  const second = new GraphCache(dir, { candorVersion: 'test' });
  const again = await explainWith(second);
  assert.deepEqual(again, derived);
  assert.equal(again.folded, true);
  assert.equal(second.stats.hits, 2, 'vision and text NIB graphs come from the disk');
  assert.equal(second.stats.written, 0, 'and the plain tails are not derived to make them');
});

for (const [damage, ext] of [['truncated', 'onnx'], ['flipped byte', 'onnx'], ['garbage record', 'onnx'], ['emptied', 'onnx'], ['truncated', 'weights'], ['flipped byte', 'weights'], ['emptied', 'weights']] as const) {
  test(`a ${damage} entry (${ext === 'onnx' ? 'the graph' : 'its weights'}) is derived again and rewritten, and the explanation is unchanged`, async () => {
    const dir = testTempDir('candor-graph-cache-');
    const derived = await explainWith(new GraphCache(dir, { candorVersion: 'test' }));
    const files = entryFiles(dir, ext);
    assert.ok(files.length >= 2, `each graph has its ${ext} file`);
    for (const f of files) {
      const json = f.replace(/\.\w+$/, '.json');
      if (damage === 'truncated') truncateSync(f, Math.floor(statSync(f).size / 2));
      if (damage === 'flipped byte') {
        const b = readFileSync(f);
        b[b.length >> 1] ^= 0x40;
        writeFileSync(f, b);
      }
      if (damage === 'garbage record') writeFileSync(json, '{"format": 1, "bytes": ');
      if (damage === 'emptied') truncateSync(f, 0);
    }
    const cache = new GraphCache(dir, { candorVersion: 'test' });
    assert.deepEqual(await explainWith(cache), derived);
    assert.equal(cache.stats.hits, 0);
    assert.ok(cache.stats.rejected >= 2, `the damaged entries are thrown away (${cache.stats.rejected})`);
    assert.ok(cache.stats.written >= 2, 'and written again');
    const healed = new GraphCache(dir, { candorVersion: 'test' });
    assert.deepEqual(await explainWith(healed), derived);
    assert.equal(healed.stats.hits, 2);
  });
}

/** The weights file an entry's record names. */
function weightsOf(graph: string): string {
  const record = JSON.parse(readFileSync(graph.replace(/\.onnx$/, '.json'), 'utf8')) as { weights: { sha256: string } };
  return join(dirname(graph), `w-${record.weights.sha256}.weights`);
}

test('an entry keeps its large weights in a file named by their hash, shared by the graphs that have them, which onnxruntime maps; the graph file is small', async () => {
  const dir = testTempDir('candor-graph-cache-');
  await explainWith(new GraphCache(dir, { candorVersion: 'test' }));
  const graphs = entryFiles(dir, 'onnx');
  assert.equal(graphs.length, 4, 'per tower: NIB\'s folded graph and the plain tail it was checked against');
  const shared = new Set(graphs.map(weightsOf));
  assert.deepEqual(new Set(entryFiles(dir, 'weights')), shared, 'no weights file that no entry names');
  assert.equal(shared.size, 2, 'each tower\'s two graphs have the same weights, stored once');
  for (const g of graphs) {
    const w = weightsOf(g);
    assert.ok(statSync(g).size * 4 < statSync(w).size, `${g}: the weights are out of the graph file`);
    const record = JSON.parse(readFileSync(g.replace(/\.onnx$/, '.json'), 'utf8')) as { weights: { bytes: number; sha256: string } };
    assert.equal(record.weights.bytes, statSync(w).size);
    assert.equal(record.weights.sha256, createHash('sha256').update(readFileSync(w)).digest('hex'));
  }
  const bundle = await loadClipBundle(MINI, { prefer: 'cpu', graphCache: new GraphCache(dir, { candorVersion: 'test' }) });
  try {
    await nibGradient(bundle, 'vision', 1);
    if (process.platform === 'linux') {
      const maps = readFileSync('/proc/self/maps', 'utf8');
      assert.ok([...shared].some((w) => maps.includes(w)), 'the session maps the cached weights');
    }
  } finally {
    await bundle.dispose();
  }
});

test('a cached graph hashed ahead is checked with that hash; a file changed after it was hashed ahead is hashed again, and the change is caught', async () => {
  const dir = testTempDir('candor-graph-cache-ahead-');
  const derived = await explainWith(new GraphCache(dir, { candorVersion: 'test' }));
  // An explanation starts the checks of the graphs it will open.
  const ahead = new GraphCache(dir, { candorVersion: 'test' });
  assert.deepEqual(await explainWith(ahead), derived);
  assert.equal(ahead.stats.hits, 2);
  assert.equal(ahead.stats.hashedAhead, 4, 'both NIB graphs and their weights were checked with the hashes made ahead');
  // Hashed ahead, then changed (same size): the check must not trust the hash made before the change.
  const cache = new GraphCache(dir, { candorVersion: 'test' });
  const bundle = await loadClipBundle(MINI, { prefer: 'cpu', graphCache: cache });
  try {
    await nibGraphAhead(bundle, 'vision', 1, 'fp32');
    const [graph] = entryFiles(dir, 'onnx').filter((g) => JSON.parse(readFileSync(g.replace(/\.onnx$/, '.json'), 'utf8')).key.kind === 'vision' && JSON.parse(readFileSync(g.replace(/\.onnx$/, '.json'), 'utf8')).key.graph === 'nib-gradient');
    const w = weightsOf(graph);
    const b = readFileSync(w);
    b[b.length >> 1] ^= 0x40;
    writeFileSync(w, b);
    const g = await nibGradient(bundle, 'vision', 1);
    assert.equal(cache.stats.hashedAhead, 1, 'only the unchanged graph file used its hash made ahead');
    // (The plain tail the NIB graph is derived from again may be a hit: its weights are not the NIB graph's optimized ones.)
    assert.ok(cache.stats.rejected >= 1 && cache.stats.written >= 1, 'the changed entry is not used: it is rejected and its graph derived again');
    assert.ok(g.session, 'the graph is derived again');
  } finally {
    await bundle.dispose();
  }
});

type Record_ = { key: { graph: string; kind?: string }; optimized?: boolean; bytes: number; sha256: string; weights: { bytes: number; sha256: string } | null };
const recordOf = (graph: string): Record_ => JSON.parse(readFileSync(graph.replace(/\.onnx$/, '.json'), 'utf8')) as Record_;
const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

test("an entry opened once becomes onnxruntime's optimized form of it, opened later with optimization off: the same scores bit for bit", async () => {
  const dir = testTempDir('candor-graph-cache-opt-');
  const derived = await explainWith(null);
  await explainWith(new GraphCache(dir, { candorVersion: 'test' }));
  const nib = (): string[] => entryFiles(dir, 'onnx').filter((g) => recordOf(g).key.graph === 'nib-gradient');
  const before = new Map(nib().map((g) => [g, sha(g)]));
  assert.equal(before.size, 2);
  assert.ok(nib().every((g) => recordOf(g).optimized === undefined), 'a derived entry is stored as derived');
  const first = new GraphCache(dir, { candorVersion: 'test' });
  assert.deepEqual(await explainWith(first), derived);
  assert.equal(first.stats.hits, 2);
  assert.equal(first.stats.optimized, 2, 'both NIB graphs opened are replaced by their optimized forms');
  for (const g of nib()) {
    const r = recordOf(g);
    assert.equal(r.optimized, true);
    assert.notEqual(sha(g), before.get(g), `${g}: the graph file is onnxruntime's form now`);
    assert.equal(r.sha256, sha(g));
    const w = weightsOf(g);
    assert.equal(r.weights!.bytes, statSync(w).size);
    assert.equal(r.weights!.sha256, sha(w), 'its weights are named by their hash, as any entry\'s');
  }
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file is left');
  const later = new GraphCache(dir, { candorVersion: 'test' });
  assert.deepEqual(await explainWith(later), derived, 'the optimized forms explain exactly as the derived graphs');
  assert.equal(later.stats.optimizedHits, 2);
  assert.equal(later.stats.optimized, 0, 'nothing is made again');
  const unpacked = new GraphCache(dir, { candorVersion: 'test' });
  assert.deepEqual(await explainWith(unpacked, false), derived, 'and so do they with the weights not pre-packed (the CLI\'s setting)');
  assert.equal(unpacked.stats.optimizedHits, 2);
  // An optimized entry is checked like any other: damaged weights are caught and the graph derived again.
  const [vision] = nib().filter((g) => recordOf(g).key.kind === 'vision');
  const w = weightsOf(vision);
  const b = readFileSync(w);
  b[b.length >> 1] ^= 0x40;
  writeFileSync(w, b);
  const damaged = new GraphCache(dir, { candorVersion: 'test' });
  assert.deepEqual(await explainWith(damaged), derived);
  assert.ok(damaged.stats.rejected >= 1 && damaged.stats.written >= 1, 'the damaged optimized entry is rejected and derived again');
});

test("an optimized form laid out for this CPU's vector width (a convolution's NCHWc) is not kept, and not made again", async () => {
  const dir = testTempDir('candor-graph-cache-nchwc-');
  const saliency = async (cache: GraphCache): Promise<number[]> => {
    const bundle = await loadClipBundle(MINI, { prefer: 'cpu', graphCache: cache });
    try {
      return (await explain(bundle, img, c.text, { ...OPTS, method: 'saliency', target: 'image' })).image!.tokenScores;
    } finally {
      await bundle.dispose();
    }
  };
  const derived = await saliency(new GraphCache(dir, { candorVersion: 'test' }));
  const [graph] = entryFiles(dir, 'onnx').filter((g) => recordOf(g).key.graph === 'input-gradient');
  const bytes = sha(graph);
  const opened = new GraphCache(dir, { candorVersion: 'test' });
  assert.deepEqual(await saliency(opened), derived);
  assert.equal(opened.stats.hits, 1);
  assert.equal(opened.stats.optimized, 0);
  assert.equal(recordOf(graph).optimized, false, 'the record says its optimized form is not kept');
  assert.equal(sha(graph), bytes, 'the entry is the graph as derived');
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'what onnxruntime wrote is removed');
  const again = new GraphCache(dir, { candorVersion: 'test' });
  assert.deepEqual(await saliency(again), derived);
  assert.equal(recordOf(graph).optimized, false);
});

test('another Candor version, layer or graph is another entry', () => {
  const a = new GraphCache('/nowhere', { candorVersion: '1.0.0' });
  const b = new GraphCache('/nowhere', { candorVersion: '1.0.1' });
  const parts = { model: 'abc', graph: 'nib-gradient', kind: 'vision', layer: 9 };
  assert.notEqual(a.keyOf(parts), b.keyOf(parts));
  assert.notEqual(a.keyOf(parts), a.keyOf({ ...parts, layer: 8 }));
  assert.notEqual(a.keyOf(parts), a.keyOf({ ...parts, model: 'abd' }));
  assert.equal(a.keyOf(parts), a.keyOf({ layer: 9, kind: 'vision', graph: 'nib-gradient', model: 'abc' }), 'the order of the parts does not matter');
  assert.match(a.keyOf(parts), /^[0-9a-f]{64}$/);
});

test('the size cap removes the entries used longest ago, and a hit counts as a use', async () => {
  const dir = testTempDir('candor-graph-cache-cap-');
  const cache = new GraphCache(dir, { candorVersion: 'test', maxBytes: 12_000 });
  // A graph whose one weight is `n` KiB, all bytes `fill` (graphs with the same weights share their file).
  const kib = (n: number, fill: number): Uint8Array =>
    serializeModel({ irVersion: 8, opsetImport: [{ version: 14 }], graph: { node: [{ opType: 'Identity', input: ['w'], output: ['y'] }], initializer: [{ name: 'w', dataType: 1, dims: [n * 256], rawData: new Uint8Array(n * 1024).fill(fill) }], output: [{ name: 'y' }] } });
  for (const n of [1, 2, 3]) {
    cache.put({ n }, kib(3, n), { n });
    await cache.flush();
    // one entry per second of age: the oldest first
    const stem = join(dir, cache.keyOf({ n }));
    const t = new Date(Date.now() - (10 - n) * 1000);
    utimesSync(`${stem}.json`, t, t);
  }
  assert.ok((await cache.get({ n: 1 })) !== null, 'entry 1 is used now');
  cache.put({ n: 4 }, kib(3, 4), { n: 4 });
  await cache.flush();
  assert.equal(await cache.get({ n: 2 }), null, 'the one used longest ago is gone');
  assert.deepEqual((await cache.get<{ n: number }>({ n: 1 }))?.meta, { n: 1 });
  assert.ok((await cache.get({ n: 3 })) !== null);
  assert.ok((await cache.get({ n: 4 })) !== null);
  assert.equal(cache.stats.evicted, 1);
  assert.equal(entryFiles(dir, 'weights').length, 3, 'the evicted entry\'s weights went with it');
  // Two more entries sharing entry 4's weights take little room: the cap keeps them all.
  cache.put({ n: 5 }, kib(3, 4), { n: 5 });
  cache.put({ n: 6 }, kib(3, 4), { n: 6 });
  await cache.flush();
  assert.equal(cache.stats.evicted, 1, 'shared weights count once');
  assert.equal(entryFiles(dir, 'weights').length, 3);
  for (const n of [1, 3, 4, 5, 6]) assert.deepEqual((await cache.get<{ n: number }>({ n }))?.meta, { n });
});

test('a stored graph is whole on disk when put returns, so it holds none of its bytes while the thread stays busy', async () => {
  const dir = testTempDir('candor-graph-cache-now-');
  const cache = new GraphCache(dir, { candorVersion: 'test' });
  const bytes = serializeModel({ irVersion: 8, opsetImport: [{ version: 14 }], graph: { node: [{ opType: 'Identity', input: ['w'], output: ['y'] }], initializer: [{ name: 'w', dataType: 1, dims: [2048], rawData: new Uint8Array(8192).fill(5) }], output: [{ name: 'y' }] } });
  cache.put({ n: 1 }, bytes, { n: 1 });
  const stem = join(dir, cache.keyOf({ n: 1 }));
  // Checked before any await: nothing has had a turn of the event loop.
  const weights = weightsOf(`${stem}.onnx`);
  assert.equal(statSync(weights).size, 8192);
  assert.deepEqual(readFileSync(weights), Buffer.alloc(8192, 5));
  assert.equal((JSON.parse(readFileSync(`${stem}.json`, 'utf8')) as { meta: { n: number } }).meta.n, 1);
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.tmp')).length, 0, 'no temporary left');
  await cache.flush();
  assert.deepEqual((await cache.get<{ n: number }>({ n: 1 }))?.meta, { n: 1 });
});

test('an entry of format 4 (weights of its own, `<key>.weights`) counts against the cap and goes whole, the used longest ago first', async () => {
  const dir = testTempDir('candor-graph-cache-legacy-');
  const old = join(dir, 'a'.repeat(64));
  writeFileSync(`${old}.json`, JSON.stringify({ format: 4, key: {}, bytes: 10, sha256: '0', weights: { bytes: 9000, sha256: '0' }, meta: {} }));
  writeFileSync(`${old}.onnx`, Buffer.alloc(10));
  writeFileSync(`${old}.weights`, Buffer.alloc(9000));
  const t = new Date(Date.now() - 60_000);
  utimesSync(`${old}.json`, t, t);
  const cache = new GraphCache(dir, { candorVersion: 'test', maxBytes: 12_000 });
  const bytes = serializeModel({ irVersion: 8, opsetImport: [{ version: 14 }], graph: { node: [{ opType: 'Identity', input: ['w'], output: ['y'] }], initializer: [{ name: 'w', dataType: 1, dims: [1024], rawData: new Uint8Array(4096).fill(9) }], output: [{ name: 'y' }] } });
  cache.put({ n: 1 }, bytes, { n: 1 });
  await cache.flush();
  assert.equal(cache.stats.evicted, 1);
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('a'.repeat(64))), [], 'its record, graph and weights are gone');
  assert.deepEqual((await cache.get<{ n: number }>({ n: 1 }))?.meta, { n: 1 });
});

test('an unwritable cache folder costs nothing but the cache', async () => {
  const file = join(testTempDir('candor-graph-cache-file-'), 'not-a-folder');
  writeFileSync(file, 'x');
  const cache = new GraphCache(file, { candorVersion: 'test' });
  const derived = await explainWith(null);
  assert.deepEqual(await explainWith(cache), derived);
  assert.ok(cache.stats.writeErrors >= 1);
});

/** What a load found about the towers (the probe's findings), as the bundle exposes them. */
async function loadFindings(cache: GraphCache | null, towerPrepack = true): Promise<{ zero: Buffer; dims: number[] }> {
  const bundle = await loadClipBundle(MINI, { prefer: 'cpu', graphCache: cache, towerPrepack });
  try {
    const z = bundle.zeroImageEmbeds;
    return { zero: Buffer.from(z.buffer, z.byteOffset, z.byteLength), dims: [bundle.projectionDim, bundle.vision.tokens, bundle.vision.width, bundle.text.width, bundle.text.tokens, ...bundle.grid] };
  } finally {
    await bundle.dispose();
  }
}

test("a load's probe findings are kept: the next load runs no probe and finds the same shapes and the same blank-image embedding, bit for bit", async () => {
  const dir = testTempDir('candor-graph-cache-probe-');
  const fresh = await loadFindings(null);
  const first = new GraphCache(dir, { candorVersion: 'test' });
  assert.deepEqual(await loadFindings(first), fresh);
  assert.deepEqual([first.stats.recordMisses, first.stats.recordsWritten, first.stats.recordHits], [1, 1, 0]);
  const second = new GraphCache(dir, { candorVersion: 'test' });
  const again = await loadFindings(second);
  assert.deepEqual([second.stats.recordHits, second.stats.recordsWritten], [1, 0], 'taken from the disk, nothing stored again');
  assert.deepEqual(again, fresh);
  assert.equal(second.stats.hits + second.stats.misses, 0, 'loading opens no graph');
});

/** The one record without a graph in `dir`. */
function probeRecord(dir: string): string {
  const records = readdirSync(dir).filter((f) => f.endsWith('.json') && !readdirSync(dir).includes(f.replace(/\.json$/, '.onnx')));
  assert.equal(records.length, 1);
  return join(dir, records[0]);
}

for (const damage of ['a changed value', 'garbage', 'a consistent but short embedding'] as const) {
  test(`a probe record with ${damage} is a miss: the probe runs again, stores its findings anew, and the load is unchanged`, async () => {
    const dir = testTempDir('candor-graph-cache-probe-');
    const fresh = await loadFindings(new GraphCache(dir, { candorVersion: 'test' }));
    const file = probeRecord(dir);
    const record = JSON.parse(readFileSync(file, 'utf8')) as { bytes: number; sha256: string; meta: { vision: { projectionDim: number; zeroImageEmbeds: string } } };
    if (damage === 'a changed value') {
      const zero = Buffer.from(record.meta.vision.zeroImageEmbeds, 'base64');
      zero[5] ^= 0x40;
      record.meta.vision.zeroImageEmbeds = zero.toString('base64');
    }
    if (damage === 'a consistent but short embedding') {
      // As a writer that hashed what it wrote would leave it: the record checks, the embedding does not fit.
      record.meta.vision.zeroImageEmbeds = Buffer.from(record.meta.vision.zeroImageEmbeds, 'base64').subarray(4).toString('base64');
      const text = JSON.stringify(record.meta);
      record.bytes = Buffer.byteLength(text);
      record.sha256 = createHash('sha256').update(text).digest('hex');
    }
    writeFileSync(file, damage === 'garbage' ? '{"format": 5, "graphl' : JSON.stringify(record));
    const cache = new GraphCache(dir, { candorVersion: 'test' });
    const again = await loadFindings(cache);
    assert.deepEqual(again, fresh);
    assert.equal(cache.stats.recordsWritten, 1, 'stored anew');
    assert.equal(cache.stats.recordHits, damage === 'a consistent but short embedding' ? 1 : 0);
    const next = new GraphCache(dir, { candorVersion: 'test' });
    assert.deepEqual(await loadFindings(next), fresh);
    assert.equal(next.stats.recordHits, 1, 'and the stored one is whole');
  });
}

test('records without a graph count against the cap and go the used longest ago first', async () => {
  const dir = testTempDir('candor-graph-cache-records-');
  const meta = (n: number) => ({ n, pad: 'x'.repeat(400) });
  // Room for three records and a half: a record's size depends on the key, the CPU's name included.
  const sizing = new GraphCache(dir, { candorVersion: 'test' });
  sizing.putRecord({ n: 1 }, meta(1));
  await sizing.flush();
  const one = statSync(join(dir, `${sizing.keyOf({ n: 1 })}.json`)).size;
  const cache = new GraphCache(dir, { candorVersion: 'test', maxBytes: Math.floor(3.5 * one) });
  for (const n of [1, 2, 3]) {
    cache.putRecord({ n }, meta(n));
    await cache.flush();
    const t = new Date(Date.now() - (10 - n) * 1000);
    utimesSync(join(dir, `${cache.keyOf({ n })}.json`), t, t);
  }
  assert.deepEqual(await cache.getRecord({ n: 1 }), meta(1), 'entry 1 is used now');
  cache.putRecord({ n: 4 }, meta(4));
  await cache.flush();
  assert.equal(cache.stats.evicted, 1);
  assert.equal(await cache.getRecord({ n: 2 }), null, 'the one used longest ago is gone');
  for (const n of [1, 3, 4]) assert.deepEqual(await cache.getRecord({ n }), meta(n));
  assert.equal(await cache.get({ n: 1 }), null, 'a record is not a graph');
});

test("packed and unpacked towers keep findings of their own: each load takes the blank embedding its own towers compute", async () => {
  const dir = testTempDir('candor-graph-cache-probe-packing-');
  const packed = new GraphCache(dir, { candorVersion: 'test' });
  await loadFindings(packed, true);
  const unpacked = new GraphCache(dir, { candorVersion: 'test' });
  assert.deepEqual(await loadFindings(unpacked, false), await loadFindings(null, false));
  assert.deepEqual([unpacked.stats.recordHits, unpacked.stats.recordsWritten], [0, 1], 'not the packed towers\' record');
  const again = new GraphCache(dir, { candorVersion: 'test' });
  assert.deepEqual(await loadFindings(again, true), await loadFindings(null, true));
  assert.deepEqual(await loadFindings(again, false), await loadFindings(null, false));
  assert.equal(again.stats.recordHits, 2, 'each from its own record');
});
