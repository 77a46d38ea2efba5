/** Shared pieces of the PACS tests: demo files, derived instances, a DCMTK storage SCP on 127.0.0.1, CLI output capture. */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../electron/version';

export const DEMO_STUDIES = join(repoRoot(), 'native-models', 'demo', 'studies');
export const DEMO_BUNDLE = join(repoRoot(), 'native-models', 'demo', 'bundle');
export const demoScan = (n: number) => join(DEMO_STUDIES, `demo-0${n}.dcm`);

interface DcmjsElement {
  vr: string;
  Value?: unknown[];
}
interface DcmjsDict {
  meta: Record<string, DcmjsElement>;
  dict: Record<string, DcmjsElement>;
  write(): ArrayBuffer;
}
const require = createRequire(import.meta.url);
const dcmjs = require('dcmjs') as { data: { DicomMessage: { readFile(buf: ArrayBuffer): DcmjsDict } } };

let uidCounter = 0;
/** A fresh UID under 2.25 (unique per call in this process). */
export function newUid(): string {
  uidCounter++;
  const n = BigInt(Date.now()) * 1_000_000n + BigInt(process.pid % 1000) * 1000n + BigInt(uidCounter);
  return `2.25.${n}${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
}

/** Header values of a Part 10 file by tag ("0020000D"): the first value as text. */
export function tagOf(file: string, tag: string): string | null {
  const buf = readFileSync(file);
  const d = dcmjs.data.DicomMessage.readFile(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const v = d.dict[tag]?.Value?.[0] ?? d.meta[tag]?.Value?.[0];
  return v === undefined ? null : typeof v === 'object' && v !== null && 'Alphabetic' in v ? String((v as { Alphabetic: string }).Alphabetic) : String(v);
}

/** The Pixel Data of a Part 10 file (what a re-encoding node must keep intact). */
export function pixelDataOf(file: string): Buffer {
  const buf = readFileSync(file);
  const d = dcmjs.data.DicomMessage.readFile(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const v = d.dict['7FE00010']?.Value?.[0];
  if (!(v instanceof ArrayBuffer)) throw new Error(`${file}: no native Pixel Data`);
  return Buffer.from(v);
}

/** A copy of a DICOM file as another instance: new SOP Instance UID, and optionally another series or study. */
export interface InstanceChange {
  series?: string;
  study?: string;
  description?: string;
  date?: string;
  patientId?: string;
  accession?: string;
  patientName?: string;
}

export function deriveInstance(src: string, out: string, change: InstanceChange = {}): { file: string; sopInstanceUid: string } {
  const buf = readFileSync(src);
  const d = dcmjs.data.DicomMessage.readFile(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const sop = newUid();
  d.dict['00080018'] = { vr: 'UI', Value: [sop] };
  d.meta['00020003'] = { vr: 'UI', Value: [sop] };
  if (change.series) d.dict['0020000E'] = { vr: 'UI', Value: [change.series] };
  if (change.study) d.dict['0020000D'] = { vr: 'UI', Value: [change.study] };
  if (change.description) d.dict['0008103E'] = { vr: 'LO', Value: [change.description] };
  if (change.date) d.dict['00080020'] = { vr: 'DA', Value: [change.date] };
  if (change.patientId) d.dict['00100020'] = { vr: 'LO', Value: [change.patientId] };
  if (change.accession) d.dict['00080050'] = { vr: 'SH', Value: [change.accession] };
  if (change.patientName) d.dict['00100010'] = { vr: 'PN', Value: [{ Alphabetic: change.patientName }] };
  writeFileSync(out, Buffer.from(d.write()));
  return { file: out, sopInstanceUid: sop };
}

export function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s) }, text: () => out.join(''), errors: () => err.join('') };
}

const madeDirs: string[] = [];
process.once('exit', () => {
  for (const d of madeDirs) rmSync(d, { recursive: true, force: true });
});

/** A temporary folder, removed when the test process ends. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `candor-${prefix}-`));
  madeDirs.push(dir);
  return dir;
}

export interface StoreScp {
  port: number;
  aet: string;
  dir: string;
  url: string;
  files(): string[];
  stop(): Promise<void>;
}

/**
 * DCMTK's storescp as a C-STORE SCP on 127.0.0.1: it has no bind-address option, so it runs in
 * inetd mode, one process per association, on the sockets of our own 127.0.0.1 listener.
 */
export async function startStorescp(aet = 'STORESCP'): Promise<StoreScp> {
  const dir = tempDir('storescp');
  const children = new Set<ReturnType<typeof spawn>>();
  const sockets = new Set<Socket>();
  const server = createServer({ pauseOnConnect: true }, (socket) => {
    sockets.add(socket);
    const child = spawn('storescp', ['--inetd', '--aetitle', aet, '--output-directory', dir, '--bit-preserving', '--filename-extension', '.dcm'], { stdio: [socket, socket, 'ignore'] });
    children.add(child);
    child.once('exit', () => {
      children.delete(child);
      socket.destroy();
      sockets.delete(socket);
    });
  });
  const port = await new Promise<number>((ok) => server.listen(0, '127.0.0.1', () => ok((server.address() as { port: number }).port)));
  return {
    port,
    aet,
    dir,
    url: `dimse://${aet}@127.0.0.1:${port}`,
    files: () => readdirSync(dir).filter((f) => f.endsWith('.dcm')).map((f) => join(dir, f)).sort(),
    async stop() {
      for (const c of children) c.kill('SIGKILL');
      for (const s of sockets) s.destroy();
      await new Promise<void>((ok) => server.close(() => ok()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A study of `count` instances in two series, made from a demo scan, with its own patient, date and accession. */
export function multiInstanceStudy(dir: string, count: number, change: InstanceChange = {}): { studyUid: string; files: string[]; sopInstanceUids: string[] } {
  const studyUid = newUid();
  const series = [newUid(), newUid()];
  const made = Array.from({ length: count }, (_, i) => deriveInstance(demoScan(4), join(dir, `multi-${i}.dcm`), { study: studyUid, series: series[i % 2], date: '20250615', patientId: 'CANDOR-MULTI', patientName: 'Multi^Instance', accession: 'MULTI1', ...change }));
  return { studyUid, files: made.map((m) => m.file), sopInstanceUids: made.map((m) => m.sopInstanceUid).sort() };
}
