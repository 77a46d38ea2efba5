// The trainer's data files: the per-pixel finding-type bitmap agrees with the generator's masks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeDataset, type DatasetMeta } from '../../native-models/demo/dataset';
import { FINDING_TYPES } from '../../native-models/demo/phantom';
import { testTempDir } from '../temp-dir';

test('types.u8 sets bit k exactly where a finding of FINDING_TYPES[k] covers the pixel', () => {
  const dir = testTempDir('candor-dataset-');
  try {
    const size = 48, count = 12;
    const meta: DatasetMeta = writeDataset(dir, { count, seedBase: 4_242_000, size, variants: 1, padId: 0, withMasks: true }, (t) => [1, ...t.split(' ').map(() => 2), 3]);
    assert.deepEqual(meta.findingTypes, FINDING_TYPES);
    const types = readFileSync(join(dir, 'types.u8'));
    const masks = readFileSync(join(dir, 'masks.u8'));
    const px = size * size;
    assert.equal(types.length, count * px);
    const expected = new Uint8Array(count * px);
    for (const f of meta.findings) {
      const bit = 1 << FINDING_TYPES.indexOf(f.type);
      for (let p = 0; p < px; p++) if (masks[f.mask * px + p]) expected[f.phantom * px + p] |= bit;
    }
    assert.ok(meta.findings.length > 0, 'some phantoms have findings');
    assert.ok(expected.some((v) => v !== 0));
    assert.deepEqual(new Uint8Array(types), expected);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
