/**
 * A real Orthanc (Debian `orthanc` + `orthanc-dicomweb`) for the PACS tests: its own temporary
 * configuration, storage and index, free ports on 127.0.0.1, started as a child process and
 * removed again by stop(). Orthanc 1.10 has no bind-address setting, so it is locked down
 * instead: HTTP answers only local clients (RemoteAccessAllowed false), and DICOM serves only
 * the modalities this harness registers, each checked against 127.0.0.1 (DicomCheckModalityHost).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ORTHANC_BIN = '/usr/sbin/Orthanc';
export const DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';
export const ORTHANC_AET = 'ORTHANC';

/** Ports this process has handed out: the kernel may offer a just-closed port again, and two of ours must not meet. */
const handedOut = new Set<number>();

function kernelPort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => ok(port));
    });
  });
}

/** A port nobody listens on right now (the kernel's pick on 127.0.0.1), never one handed out before in this process. */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await kernelPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port found in 50 tries');
}

export interface Modality {
  aet: string;
  port: number;
}

export interface Orthanc {
  http: string;
  dicomWeb: string;
  dicomPort: number;
  aet: string;
  /** dimse://ORTHANC@127.0.0.1:port */
  dimseUrl: string;
  rest<T = unknown>(path: string, init?: RequestInit): Promise<T>;
  /** Uploads Part 10 files (POST /instances); returns Orthanc's ids of their studies. */
  upload(...files: string[]): Promise<string[]>;
  /** The Orthanc id of a study by its Study Instance UID, or null. */
  studyId(studyUid: string): Promise<string | null>;
  /** The SOP Instance UIDs Orthanc holds for a study. */
  instanceUids(studyUid: string): Promise<string[]>;
  /** Registers (or replaces) a DICOM modality Orthanc may talk to, on 127.0.0.1. */
  addModality(name: string, m: Modality): Promise<void>;
  log(): string;
  stop(): Promise<void>;
}

export interface OrthancOptions {
  /** Modalities known from the start (our SCU's AE title, the C-MOVE destinations). */
  modalities?: Record<string, Modality>;
}

const START_TRIES = 150;
const START_POLL_MS = 100;

export async function startOrthanc(opts: OrthancOptions = {}): Promise<Orthanc> {
  const dir = mkdtempSync(join(tmpdir(), 'candor-orthanc-'));
  const httpPort = await freePort();
  const dicomPort = await freePort();
  const modalities = Object.fromEntries(Object.entries(opts.modalities ?? {}).map(([k, m]) => [k, { AET: m.aet, Host: '127.0.0.1', Port: m.port }]));
  const config = {
    Name: 'candor-test',
    StorageDirectory: join(dir, 'storage'),
    IndexDirectory: join(dir, 'index'),
    HttpPort: httpPort,
    DicomPort: dicomPort,
    DicomAet: ORTHANC_AET,
    DicomCheckCalledAet: true,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    DicomAlwaysAllowEcho: false,
    DicomAlwaysAllowStore: false,
    DicomAlwaysAllowFind: false,
    DicomAlwaysAllowGet: false,
    DicomAlwaysAllowMove: false,
    DicomCheckModalityHost: true,
    DicomModalities: modalities,
    DicomScuTimeout: 5,
    DicomAssociationCloseDelay: 0,
    HttpTimeout: 10,
    StableAge: 1,
    Plugins: [DICOMWEB_PLUGIN],
    DicomWeb: { Enable: true, Root: '/dicom-web/', EnableWado: false },
  };
  const configFile = join(dir, 'orthanc.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  let logText = '';
  const child: ChildProcess = spawn(ORTHANC_BIN, [configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (b: Buffer) => {
    // Bounded: only the tail matters for a failure message.
    logText = (logText + b.toString('utf8')).slice(-64 * 1024);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? -1;
  });

  const http = `http://127.0.0.1:${httpPort}`;
  const rest = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const res = await fetch(`${http}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    if (!res.ok) throw new Error(`Orthanc ${init?.method ?? 'GET'} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : null) as T;
  };

  let up = false;
  for (let i = 0; i < START_TRIES && exited === null; i++) {
    try {
      await rest('/system');
      up = true;
      break;
    } catch {
      await new Promise((r) => setTimeout(r, START_POLL_MS));
    }
  }
  const stop = async () => {
    if (exited === null) {
      const gone = new Promise<void>((ok) => child.once('exit', () => ok()));
      child.kill('SIGTERM');
      // Orthanc takes ~3 s to leave on SIGTERM (its DICOM server polls); the folder is removed anyway.
      const timer = setTimeout(() => child.kill('SIGKILL'), 1000);
      await gone;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  if (!up) {
    const tail = logText.slice(-2000);
    await stop();
    throw new Error(`Orthanc did not start (exit ${exited ?? 'none'}): ${tail}`);
  }

  const studyId = async (studyUid: string) => {
    const ids = await rest<string[]>('/tools/find', { method: 'POST', body: JSON.stringify({ Level: 'Study', Query: { StudyInstanceUID: studyUid } }) });
    return ids[0] ?? null;
  };
  return {
    http,
    dicomWeb: `${http}/dicom-web`,
    dicomPort,
    aet: ORTHANC_AET,
    dimseUrl: `dimse://${ORTHANC_AET}@127.0.0.1:${dicomPort}`,
    rest,
    async upload(...files) {
      const ids: string[] = [];
      for (const f of files) {
        const r = await rest<{ ParentStudy: string }>('/instances', { method: 'POST', body: readFileSync(f) });
        ids.push(r.ParentStudy);
      }
      return ids;
    },
    studyId,
    async instanceUids(studyUid) {
      const id = await studyId(studyUid);
      if (!id) return [];
      const instances = await rest<{ MainDicomTags: { SOPInstanceUID: string } }[]>(`/studies/${id}/instances`);
      return instances.map((i) => i.MainDicomTags.SOPInstanceUID).sort();
    },
    async addModality(name, m) {
      await rest(`/modalities/${name}`, { method: 'PUT', body: JSON.stringify({ AET: m.aet, Host: '127.0.0.1', Port: m.port }) });
    },
    log: () => logText,
    stop,
  };
}
