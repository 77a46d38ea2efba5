/**
 * A node as the user writes it: a DICOMweb root (`https://pacs.example/dicom-web`) or
 * `dimse://AET@host:port`, plus our own AE title and, for C-MOVE, the port our storage SCP opens.
 */
import { PacsInputError } from './errors';
import type { NodeConfig, PacsNode } from './types';

export const DEFAULT_CALLING_AET = 'CANDOR';

/** An AE title: 1–16 characters of the default repertoire, no backslash or control characters, not all spaces. */
export function checkAeTitle(aet: string, what: string): string {
  if (aet.length < 1 || aet.length > 16 || !/^[\x20-\x7e]+$/.test(aet) || aet.includes('\\') || aet.trim() === '') {
    throw new PacsInputError(`${what} "${aet}" is not an AE title (1–16 printable characters, no backslash)`);
  }
  return aet.trim();
}

function checkPort(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new PacsInputError(`${what} must be a port number 1–65535 (got ${n})`);
  return n;
}

export function parseNode(config: NodeConfig): PacsNode {
  const raw = config.url.trim();
  if (/^https?:\/\//i.test(raw)) {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw new PacsInputError(`"${raw}" is not a valid URL`);
    }
    if (u.username || u.password) throw new PacsInputError(`${u.origin}: credentials in the URL are not accepted (they would be written to the audit log)`);
    if (u.search || u.hash) throw new PacsInputError(`${raw}: a DICOMweb root has no query or fragment`);
    const url = `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
    return { kind: 'dicomweb', url, label: url };
  }
  const m = /^dimse:\/\/([^@]+)@(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})\/?$/.exec(raw);
  if (!m) {
    throw new PacsInputError(`"${raw}" is neither a DICOMweb root (http://host:port/dicom-web) nor a DIMSE node (dimse://AET@host:port)`);
  }
  const calledAet = checkAeTitle(decodeURIComponent(m[1]!), 'the node’s AE title');
  const host = m[2]!.replace(/^\[|\]$/g, '');
  const port = checkPort(Number(m[3]), 'the node’s port');
  const callingAet = checkAeTitle(config.callingAet?.trim() || DEFAULT_CALLING_AET, 'our AE title');
  const movePort = config.movePort === undefined ? null : checkPort(config.movePort, 'the C-MOVE storage port');
  const retrieve = config.retrieve ?? (movePort !== null ? 'move' : 'get');
  if (retrieve === 'move' && movePort === null) throw new PacsInputError('C-MOVE needs a port for our storage SCP (the node sends the study there)');
  return { kind: 'dimse', calledAet, host, port, callingAet, retrieve, movePort, label: `dimse://${calledAet}@${m[2]}:${port}` };
}
