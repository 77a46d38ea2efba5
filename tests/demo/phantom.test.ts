import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FINDING_TYPES,
  MAX_PIXEL_VALUE,
  PhantomSpecError,
  renderPhantom,
  samplePhantom,
  windowTo8bit,
  zoneBounds,
  DEFAULT_WINDOW,
  type FindingType,
} from '../../native-models/demo/phantom';

function maskArea(mask: Uint8Array): number {
  let n = 0;
  for (const v of mask) n += v;
  return n;
}

function centroid(mask: Uint8Array, w: number): [number, number] {
  let sx = 0, sy = 0, n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) { sx += i % w; sy += Math.floor(i / w); n++; }
  return [(sx / n + 0.5) / w, (sy / n + 0.5) / (mask.length / w)];
}

test('same seed gives identical pixels and masks; another seed differs', () => {
  const a = renderPhantom(samplePhantom(42, [{ type: 'nodule' }, { type: 'effusion' }]), 64);
  const b = renderPhantom(samplePhantom(42, [{ type: 'nodule' }, { type: 'effusion' }]), 64);
  assert.deepEqual(a.pixels, b.pixels);
  assert.deepEqual(a.findings.map((f) => f.mask), b.findings.map((f) => f.mask));
  const c = renderPhantom(samplePhantom(43, [{ type: 'nodule' }, { type: 'effusion' }]), 64);
  let diff = 0;
  for (let i = 0; i < a.pixels.length; i++) diff += Math.abs(a.pixels[i] - c.pixels[i]);
  assert.ok(diff / a.pixels.length > 20, `mean difference ${diff / a.pixels.length} too small`);
});

test('random finding lists are deterministic and cover normal and abnormal studies', () => {
  const counts = new Map<number, number>();
  for (let s = 0; s < 200; s++) {
    const a = samplePhantom(5000 + s);
    assert.deepEqual(a, samplePhantom(5000 + s));
    counts.set(a.findings.length, (counts.get(a.findings.length) ?? 0) + 1);
  }
  assert.ok((counts.get(0) ?? 0) > 20 && (counts.get(1) ?? 0) > 60 && (counts.get(2) ?? 0) > 30, JSON.stringify([...counts]));
});

test('pixels are 12-bit integers and the anatomy has air, lungs and dense tissue', () => {
  const img = renderPhantom(samplePhantom(7, []), 96);
  let min = Infinity, max = -Infinity;
  for (const v of img.pixels) {
    assert.ok(Number.isInteger(v) && v >= 0 && v <= MAX_PIXEL_VALUE);
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  assert.ok(max - min > 1500, `dynamic range ${min}..${max}`);
  const g = windowTo8bit(img.pixels, DEFAULT_WINDOW);
  // Corner (outside the body) is dark, the lung center darker than the mediastinum.
  const at = (u: number, v: number) => g[Math.floor(v * 96) * 96 + Math.floor(u * 96)];
  assert.ok(at(0.02, 0.5) < 60, `corner ${at(0.02, 0.5)}`);
  assert.ok(at(0.3, 0.4) + 40 < at(0.5, 0.5), `lung ${at(0.3, 0.4)} vs mediastinum ${at(0.5, 0.5)}`);
});

test('every finding type has a non-empty mask inside the body, on its side and zone', () => {
  for (const type of FINDING_TYPES) {
    for (let s = 0; s < 6; s++) {
      const spec = samplePhantom(300 + s, [{ type }]);
      const img = renderPhantom(spec, 96);
      const f = img.findings[0];
      const area = maskArea(f.mask);
      assert.ok(area > 4, `${type} seed ${300 + s}: mask area ${area}`);
      const g = windowTo8bit(img.pixels, DEFAULT_WINDOW);
      for (let i = 0; i < f.mask.length; i++) if (f.mask[i]) assert.ok(g[i] > 30, `${type}: mask pixel ${i} outside the body`);
      const [cu, cv] = centroid(f.mask, 96);
      const mid = spec.anatomy.midline;
      // Radiological convention: the patient's right is on the image's left.
      if (f.side === 'right') assert.ok(cu < mid, `${type} right side centroid u=${cu}`);
      if (f.side === 'left') assert.ok(cu > mid, `${type} left side centroid u=${cu}`);
      if (f.zone && (f.side === 'left' || f.side === 'right')) {
        const [lo, hi] = zoneBounds(spec.anatomy, f.side, f.zone);
        assert.ok(cv > lo - 0.03 && cv < hi + 0.03, `${type} ${f.zone} zone centroid v=${cv} not in ${lo}..${hi}`);
      }
    }
  }
});

test('a finding is visible: the image differs from the same anatomy without it, inside its mask', () => {
  const types: FindingType[] = ['nodule', 'mass', 'consolidation', 'effusion', 'pneumothorax'];
  for (const type of types) {
    const spec = samplePhantom(900, [{ type }]);
    const without = { ...spec, findings: [] };
    const a = renderPhantom(spec, 96);
    const b = renderPhantom(without, 96);
    const m = a.findings[0].mask;
    let inside = 0, outside = 0, nIn = 0, nOut = 0;
    for (let i = 0; i < m.length; i++) {
      const d = Math.abs(a.pixels[i] - b.pixels[i]);
      if (m[i]) { inside += d; nIn++; } else { outside += d; nOut++; }
    }
    assert.ok(inside / nIn > 3 * (outside / nOut) && inside / nIn > 80, `${type}: mean change inside ${inside / nIn}, outside ${outside / nOut}`);
  }
});

test('masks agree across render resolutions (normalized description)', () => {
  const spec = samplePhantom(77, [{ type: 'mass', side: 'left', zone: 'lower' }]);
  const small = renderPhantom(spec, 64).findings[0].mask;
  const large = renderPhantom(spec, 256).findings[0].mask;
  const fs = maskArea(small) / small.length;
  const fl = maskArea(large) / large.length;
  assert.ok(Math.abs(fs - fl) / fl < 0.15, `area fraction ${fs} vs ${fl}`);
  const [u1, v1] = centroid(small, 64);
  const [u2, v2] = centroid(large, 256);
  assert.ok(Math.hypot(u1 - u2, v1 - v2) < 0.01);
});

test('bad input gives a PhantomSpecError naming the problem', () => {
  assert.throws(() => samplePhantom(-1), PhantomSpecError);
  assert.throws(() => samplePhantom(1.5), /integer/);
  assert.throws(() => samplePhantom(1, [{ type: 'nodule' }, { type: 'nodule' }]), /once per phantom/);
  assert.throws(() => renderPhantom(samplePhantom(1), 8), /render size/);
});
