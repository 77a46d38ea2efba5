/**
 * Decode time of a 2048x2500 16-bit JPEG Lossless (process 14, SV1) image, and of the same
 * picture as 12-bit extended JPEG: Candor's decoders next to DCMTK's dcmdjpeg on the same file.
 * The files are made at bench time with dump2dcm + dcmcjpeg in a temp folder. Target: within
 * 2x of dcmtk.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
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

interface Timing {
  codec: number;
  endToEnd: number;
  dcmtk: number;
}

/** Medians of RUNS decodes: the codec in this thread, loadScan end to end, and dcmdjpeg as a process. */
async function timeDecodes(dir: string, file: string): Promise<Timing> {
  const bytes = new Uint8Array(readFileSync(file));
  const ds = parseDicomBytes(file, bytes);
  const info = readImageInfo(file, ds);
  const encoded = compressedFrameBytes(file, ds, info, 0);
  // One untimed decode in this thread, so that the JIT has compiled the codec (the worker
  // already decoded the image once for the correctness check).
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
  return { codec: median(codecMs), endToEnd: median(endToEndMs), dcmtk: median(dcmtkMs) };
}

function report(title: string, codecName: string, t: Timing): void {
  console.log(`${title}, median of ${RUNS}`);
  console.log(`  candor codec only (${codecName}, in-thread)`.padEnd(59) + `${t.codec.toFixed(0).padStart(6)} ms`);
  console.log(`  candor loadScan (read, parse, decode on worker, stats)   ${t.endToEnd.toFixed(0).padStart(6)} ms`);
  console.log(`  dcmtk dcmdjpeg (process: read, decode, write file)       ${t.dcmtk.toFixed(0).padStart(6)} ms`);
  console.log(`  ratio candor/dcmtk ${(t.endToEnd / t.dcmtk).toFixed(2)}x (target <= 2x): ${t.endToEnd <= 2 * t.dcmtk ? 'met' : 'NOT met'}`);
}

function dump(bits: number): string {
  return [
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
    `(0028,0101) US ${bits}`,
    `(0028,0102) US ${bits - 1}`,
    '(0028,0103) US 0',
    '(7fe0,0010) OW =pixels.raw',
    '',
  ].join('\n');
}

export async function run(): Promise<void> {
  if (!have('dcmcjpeg') || !have('dcmdjpeg') || !have('dump2dcm')) {
    console.log('imaging bench: skipped, DCMTK (dump2dcm, dcmcjpeg, dcmdjpeg) is not installed (apt-get install dcmtk)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'candor-bench-imaging-'));
  // Both decoders run single-threaded; other processes on the machine shift both figures.
  console.log(`imaging: ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(2)} at start`);
  try {
    const source = syntheticImage();
    writeFileSync(join(dir, 'pixels.raw'), new Uint8Array(source.buffer));
    writeFileSync(join(dir, 'image.dump'), dump(16));
    execFileSync('dump2dcm', ['+te', 'image.dump', 'native.dcm'], { cwd: dir });
    execFileSync('dcmcjpeg', ['+e1', 'native.dcm', 'lossless.dcm'], { cwd: dir });
    const file = join(dir, 'lossless.dcm');

    // Correctness first: the benchmarked decode must be exact.
    const { data } = await (await loadScan(file)).storedFrame(1);
    let diff = 0;
    for (let i = 0; i < source.length; i++) if (data[i] !== source[i]) diff++;
    if (diff) throw new Error(`imaging bench: decoded image differs from the source in ${diff} pixels`);
    const mb = (ROWS * COLS * 2) / 2 ** 20;
    const size = (f: string) => (readFileSync(f).length / 2 ** 20).toFixed(1);
    report(`imaging: ${COLS}x${ROWS} 16-bit JPEG Lossless SV1 (${size(file)} MiB compressed, ${mb.toFixed(1)} MiB decoded)`, 'own process-14 decoder', await timeDecodes(dir, file));

    // The same picture scaled to 12 bits, as 12-bit extended (process 4) JPEG.
    const twelve = source.map((v) => v >> 4);
    writeFileSync(join(dir, 'pixels.raw'), new Uint8Array(twelve.buffer));
    writeFileSync(join(dir, 'image12.dump'), dump(12));
    execFileSync('dump2dcm', ['+te', 'image12.dump', 'native12.dcm'], { cwd: dir });
    execFileSync('dcmcjpeg', ['+ee', '+q', '90', '+un', 'native12.dcm', 'extended12.dcm'], { cwd: dir });
    const file12 = join(dir, 'extended12.dcm');
    // Lossy: the reference is DCMTK's own decode of the same file (IJG integer IDCT vs float64 here).
    execFileSync('dcmdjpeg', ['extended12.dcm', 'reference12.dcm'], { cwd: dir });
    const decoded12 = (await (await loadScan(file12)).storedFrame(1)).data;
    const reference12 = (await (await loadScan(join(dir, 'reference12.dcm'))).storedFrame(1)).data;
    let maxErr = 0;
    for (let i = 0; i < reference12.length; i++) maxErr = Math.max(maxErr, Math.abs(decoded12[i]! - reference12[i]!));
    if (maxErr > 2) throw new Error(`imaging bench: the 12-bit JPEG decodes up to ${maxErr} away from DCMTK's decode`);
    report(`imaging: ${COLS}x${ROWS} 12-bit JPEG Extended q90 (${size(file12)} MiB compressed)`, 'own DCT decoder', await timeDecodes(dir, file12));
  } finally {
    await stopDecoder();
    if (process.env.CANDOR_BENCH_KEEP) console.log('kept', dir);
    else rmSync(dir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) await run();
