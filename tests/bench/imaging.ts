/**
 * Decode time of a 2048x2500 16-bit JPEG Lossless (process 14, SV1) image: Candor's decoder
 * next to DCMTK's dcmdjpeg on the same file. The file is made at bench time with dump2dcm +
 * dcmcjpeg in a temp folder. Target: within 2x of dcmtk.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScan } from '../../electron/imaging/index';
import { parseDicomBytes } from '../../electron/imaging/dicom-file';
import { readImageInfo } from '../../electron/imaging/dicom-header';
import { compressedFrameBytes, decodeCompressedFrame } from '../../electron/imaging/codecs/index';
import { stopDecoder } from '../../electron/imaging/decoder-pool';

const ROWS = 2500;
const COLS = 2048;
const RUNS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** A radiograph-like 16-bit picture: smooth anatomy-scale structure plus detector noise. */
function syntheticImage(): Uint16Array {
  const img = new Uint16Array(ROWS * COLS);
  let seed = 12345;
  const noise = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 16) / 65536 - 0.5;
  };
  for (let y = 0; y < ROWS; y++) {
    for (let x = 0; x < COLS; x++) {
      const u = x / COLS - 0.5;
      const v = y / ROWS - 0.5;
      const body = Math.exp(-(u * u * 6 + v * v * 3));
      const ribs = 0.15 * Math.sin(y / 37) * Math.exp(-u * u * 20);
      img[y * COLS + x] = Math.max(0, Math.min(65535, Math.round(40000 * body + 6000 * ribs + 8000 + 300 * noise())));
    }
  }
  return img;
}

function have(tool: string): boolean {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function run(): Promise<void> {
  if (!have('dcmcjpeg') || !have('dcmdjpeg') || !have('dump2dcm')) {
    console.log('imaging bench: skipped, DCMTK (dump2dcm, dcmcjpeg, dcmdjpeg) is not installed (apt-get install dcmtk)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'candor-bench-imaging-'));
  try {
    const source = syntheticImage();
    writeFileSync(join(dir, 'pixels.raw'), new Uint8Array(source.buffer));
    writeFileSync(
      join(dir, 'image.dump'),
      [
        '(0008,0016) UI =DigitalXRayImageStorageForPresentation',
        '(0008,0018) UI [2.25.4242]',
        '(0008,0060) CS [DX]',
        '(0020,000d) UI [2.25.4243]',
        '(0020,000e) UI [2.25.4244]',
        '(0028,0002) US 1',
        '(0028,0004) CS [MONOCHROME2]',
        `(0028,0010) US ${ROWS}`,
        `(0028,0011) US ${COLS}`,
        '(0028,0100) US 16',
        '(0028,0101) US 16',
        '(0028,0102) US 15',
        '(0028,0103) US 0',
        '(7fe0,0010) OW =pixels.raw',
        '',
      ].join('\n'),
    );
    execFileSync('dump2dcm', ['+te', 'image.dump', 'native.dcm'], { cwd: dir });
    execFileSync('dcmcjpeg', ['+e1', 'native.dcm', 'lossless.dcm'], { cwd: dir });
    const file = join(dir, 'lossless.dcm');
    const bytes = new Uint8Array(readFileSync(file));

    // Correctness first: the benchmarked decode must be exact.
    const scan = await loadScan(file);
    const { data } = await scan.storedFrame(1);
    let diff = 0;
    for (let i = 0; i < source.length; i++) if (data[i] !== source[i]) diff++;
    if (diff) throw new Error(`imaging bench: decoded image differs from the source in ${diff} pixels`);

    const ds = parseDicomBytes(file, bytes);
    const info = readImageInfo(file, ds);
    const encoded = compressedFrameBytes(file, ds, info, 0);
    // One untimed decode in this thread, so that the JIT has compiled the codec (the worker
    // already decoded the image once above).
    await decodeCompressedFrame(file, info.transferSyntax, info.layout, encoded);
    const codecMs: number[] = [];
    const endToEndMs: number[] = [];
    const dcmtkMs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      let t = performance.now();
      await decodeCompressedFrame(file, info.transferSyntax, info.layout, encoded);
      codecMs.push(performance.now() - t);

      t = performance.now();
      const s = await loadScan(file); // read + parse + decode frame 1 on the worker
      void s;
      endToEndMs.push(performance.now() - t);

      t = performance.now();
      execFileSync('dcmdjpeg', [file, join(dir, 'out.dcm')]);
      dcmtkMs.push(performance.now() - t);
    }
    const ours = median(endToEndMs);
    const theirs = median(dcmtkMs);
    const mb = (ROWS * COLS * 2) / 2 ** 20;
    console.log(`imaging: ${COLS}x${ROWS} 16-bit JPEG Lossless SV1 (${(bytes.length / 2 ** 20).toFixed(1)} MiB compressed, ${mb.toFixed(1)} MiB decoded), median of ${RUNS}`);
    console.log(`  candor codec only (own process-14 decoder, in-thread)    ${median(codecMs).toFixed(0).padStart(6)} ms`);
    console.log(`  candor loadScan (read, parse, decode on worker, stats)   ${ours.toFixed(0).padStart(6)} ms`);
    console.log(`  dcmtk dcmdjpeg (process: read, decode, write file)       ${theirs.toFixed(0).padStart(6)} ms`);
    console.log(`  ratio candor/dcmtk ${(ours / theirs).toFixed(2)}x (target <= 2x): ${ours <= 2 * theirs ? 'met' : 'NOT met'}`);
  } finally {
    await stopDecoder();
    if (process.env.CANDOR_BENCH_KEEP) console.log("kept", dir); else rmSync(dir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) await run();
