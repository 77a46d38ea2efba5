/**
 * Multi-frame layouts where a frame does not start where a naive reader expects: 1-bit frames
 * whose bits run on across byte boundaries, 8-bit frames of an odd size (the value padded to an
 * even length), 8-bit samples in OW big endian (swapped in pairs across frame ends) and 16-bit
 * OW in explicit VR big endian. The files are made by DCMTK's dump2dcm
 * from raw pixel bytes; every frame's expected pixels come from the function that made them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadScan } from '../../electron/imaging/index';
import { hasTools } from './fixtures';
import { testTempDir } from '../temp-dir';

const tmp = testTempDir('candor-odd-frames-');
const skip = hasTools('dump2dcm') ? false : 'DCMTK (dump2dcm) not installed';

interface Layout {
  name: string;
  rows: number;
  cols: number;
  frames: number;
  bits: { allocated: number; stored: number };
  vr: 'OB' | 'OW';
  /** dump2dcm's output transfer syntax option. */
  ts: '+te' | '+tb';
  value: (frame: number, i: number) => number;
}

/** Pixel Data as the standard packs it: frames one after another, 1-bit samples least significant bit first. */
function pack(l: Layout): Buffer {
  const n = l.rows * l.cols;
  if (l.bits.allocated === 1) {
    const out = Buffer.alloc(Math.ceil((n * l.frames) / 8));
    for (let f = 0; f < l.frames; f++) for (let i = 0; i < n; i++) if (l.value(f, i)) out[(f * n + i) >> 3]! |= 1 << ((f * n + i) & 7);
    return out;
  }
  if (l.bits.allocated === 8) {
    const bytes = Array.from({ length: n * l.frames }, (_, k) => l.value(Math.floor(k / n), k % n));
    // OW holds whole 16-bit words: an odd count gets a pad byte.
    if (l.vr === 'OW' && bytes.length % 2) bytes.push(0);
    return Buffer.from(bytes);
  }
  // OW from a file is read little endian; dump2dcm writes it in the output's byte order.
  const out = Buffer.alloc(2 * n * l.frames);
  for (let k = 0; k < n * l.frames; k++) out.writeUInt16LE(l.value(Math.floor(k / n), k % n), 2 * k);
  return out;
}

function makeFile(l: Layout): string {
  const raw = join(tmp, `${l.name}.raw`);
  writeFileSync(raw, pack(l));
  const dump = join(tmp, `${l.name}.txt`);
  writeFileSync(dump, [
    '(0008,0016) UI =SecondaryCaptureImageStorage',
    `(0008,0018) UI [2.25.${4242 + l.bits.allocated}]`,
    '(0008,0060) CS [OT]',
    '(0028,0002) US 1',
    '(0028,0004) CS [MONOCHROME2]',
    `(0028,0008) IS [${l.frames}]`,
    `(0028,0010) US ${l.rows}`,
    `(0028,0011) US ${l.cols}`,
    `(0028,0100) US ${l.bits.allocated}`,
    `(0028,0101) US ${l.bits.stored}`,
    `(0028,0102) US ${l.bits.stored - 1}`,
    '(0028,0103) US 0',
    `(7fe0,0010) ${l.vr} =${raw}`,
  ].join('\n') + '\n');
  const file = join(tmp, `${l.name}.dcm`);
  execFileSync('dump2dcm', [l.ts, dump, file]);
  return file;
}

const LAYOUTS: Layout[] = [
  // 7×5 = 35 bits a frame: frame 2 starts at bit 35 (byte 4, bit 3), frame 3 at bit 70.
  { name: 'bits-1', rows: 5, cols: 7, frames: 3, bits: { allocated: 1, stored: 1 }, vr: 'OB', ts: '+te', value: (f, i) => ((i * 7 + f * 3) % 5 === 0 || i === f ? 1 : 0) },
  // 5×3 = 15 bytes a frame, 45 in all: an odd length, padded by the writer.
  { name: 'bits-8-odd', rows: 3, cols: 5, frames: 3, bits: { allocated: 8, stored: 8 }, vr: 'OB', ts: '+te', value: (f, i) => (i * 37 + f * 91 + 5) & 0xff },
  // 8-bit samples in OW, big endian: the file holds them byte-swapped in pairs, and a frame of 15
  // bytes ends (and the next begins) in the middle of a pair.
  { name: 'bits-8-ow-big-endian', rows: 3, cols: 5, frames: 3, bits: { allocated: 8, stored: 8 }, vr: 'OW', ts: '+tb', value: (f, i) => (i * 53 + f * 29 + 1) & 0xff },
  // Both bytes of every value differ, so a swapped byte order shows.
  { name: 'ow-big-endian', rows: 3, cols: 5, frames: 2, bits: { allocated: 16, stored: 12 }, vr: 'OW', ts: '+tb', value: (f, i) => (0x123 + i * 257 + f * 409) & 0xfff },
];

for (const l of LAYOUTS) {
  test(`${l.name}: ${l.frames} frames of ${l.cols}×${l.rows} read back sample for sample`, { skip }, async () => {
    const file = makeFile(l);
    if (l.ts === '+tb') assert.ok(readFileSync(file).includes('1.2.840.10008.1.2.2'), 'written in explicit VR big endian');
    const scan = await loadScan(file);
    assert.deepEqual([scan.summary.width, scan.summary.height, scan.summary.frames], [l.cols, l.rows, l.frames]);
    for (let f = 0; f < l.frames; f++) {
      const { data } = await scan.storedFrame(f + 1);
      assert.deepEqual(Array.from(data), Array.from({ length: l.rows * l.cols }, (_, i) => l.value(f, i)), `frame ${f + 1}`);
    }
  });
}
