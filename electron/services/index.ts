/** The main-process services behind every contract channel, shared by Electron, the test host and tests. */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { SampleStudy } from '../api/contract';
import type { ServiceTable } from '../ipc/handlers';
import { ScanRegistry } from './scans';
import { JobRunner } from './explain-jobs';

export interface ServiceConfig {
  appVersion: string;
  modelDir: string | null;
  samplesIndex: string | null;
  dbPath: string | null;
  chooseFile?: () => Promise<string | null>;
}

export class UnavailableError extends Error {
  override name = 'UnavailableError';
}

export function readSampleStudies(indexFile: string | null): SampleStudy[] {
  if (!indexFile) return [];
  const base = dirname(indexFile);
  const raw = JSON.parse(readFileSync(indexFile, 'utf8')) as { studies?: { title: string; scan: string; report: string }[] };
  return (raw.studies ?? []).map((s) => ({
    title: s.title,
    scanPath: resolve(base, s.scan),
    reportText: readFileSync(resolve(base, s.report), 'utf8').trim(),
  }));
}

export function createServices(config: ServiceConfig): ServiceTable {
  const scans = new ScanRegistry();
  const jobs = new JobRunner();
  const samples = readSampleStudies(config.samplesIndex);
  const unavailable = (what: string) => async (): Promise<never> => {
    throw new UnavailableError(`${what} is not available in this build`);
  };

  return {
    'app:info': async () => ({
      version: config.appVersion,
      model: null,
      modelError: config.modelDir ? null : 'no model bundle configured',
      provider: 'cpu',
      dbPath: config.dbPath,
      sampleStudies: samples,
    }),
    'scan:open': (req) => scans.open(req.path),
    'scan:frame': (req) => scans.frame(req.scanId, req.frame),
    'scan:choose': async () => ({ path: config.chooseFile ? await config.chooseFile() : null }),
    'explain:start': unavailable('explanation'),
    'explain:poll': async (req) => jobs.poll(req.jobId),
    'explain:cancel': async (req) => ({ cancelled: jobs.cancel(req.jobId) }),
    'finding:record': unavailable('the audit log'),
    'audit:list': unavailable('the audit log'),
    'audit:get': unavailable('the audit log'),
    'audit:verify': unavailable('the audit log'),
    'report:pdf': unavailable('the PDF report'),
  };
}
