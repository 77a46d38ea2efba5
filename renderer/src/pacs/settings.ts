/**
 * The PACS node the reviewer configured (kept in this browser's storage, like any preference) and
 * the search form as the contract's StudyQuery. Pure, so unit tests need no browser.
 */
import type { NodeConfig, StudyMatch, StudyQuery } from '../../../electron/api/contract';

const KEY = 'candor.pacs.node';
/** The reviewer's name as the finding form remembers it: transfers are recorded under it too. */
export const USER_KEY = 'candor.reviewer';

export interface NodeForm {
  url: string;
  callingAet: string;
  /** C-MOVE storage port as typed; empty for C-GET. */
  movePort: string;
}

export interface SearchForm {
  patientId: string;
  patientName: string;
  /** yyyy-mm-dd from <input type=date>, or empty. */
  from: string;
  to: string;
  modality: string;
  accession: string;
}

export const EMPTY_SEARCH: SearchForm = { patientId: '', patientName: '', from: '', to: '', modality: '', accession: '' };

export function isDimse(url: string): boolean {
  return /^\s*dimse:\/\//i.test(url);
}

export function loadNodeForm(storage: Pick<Storage, 'getItem'> | null): NodeForm {
  try {
    const raw = storage?.getItem(KEY);
    const v = raw ? (JSON.parse(raw) as Partial<NodeForm>) : {};
    return { url: String(v.url ?? ''), callingAet: String(v.callingAet ?? ''), movePort: String(v.movePort ?? '') };
  } catch {
    return { url: '', callingAet: '', movePort: '' };
  }
}

export function saveNodeForm(storage: Pick<Storage, 'setItem'> | null, form: NodeForm): void {
  try {
    storage?.setItem(KEY, JSON.stringify(form));
  } catch {
    // Storage full or disabled: the node is simply not remembered.
  }
}

/** The node as the contract takes it; a port that is not a number is left for the main process to refuse with its message. */
export function nodeConfig(form: NodeForm): NodeConfig {
  const dimse = isDimse(form.url);
  const port = form.movePort.trim();
  return {
    url: form.url.trim(),
    ...(dimse && form.callingAet.trim() ? { callingAet: form.callingAet.trim() } : {}),
    ...(dimse && port ? { movePort: Number(port), retrieve: 'move' as const } : {}),
  };
}

export function studyQuery(form: SearchForm): StudyQuery {
  const q: StudyQuery = {};
  if (form.patientId.trim()) q.patientId = form.patientId.trim();
  if (form.patientName.trim()) q.patientName = form.patientName.trim();
  if (form.modality.trim()) q.modality = form.modality.trim();
  if (form.accession.trim()) q.accession = form.accession.trim();
  // ISO dates on either side of "..", as electron/pacs/query.ts reads them.
  if (form.from || form.to) q.date = form.from && form.from === form.to ? form.from : `${form.from}..${form.to}`;
  return q;
}

/** How a pulled study is named in the study browser. */
export function studyTitle(m: StudyMatch): string {
  const who = m.patientName?.replace(/\^/g, ' ').trim() || m.patientId || 'unknown patient';
  const when = m.studyDate ? `${m.studyDate.slice(0, 4)}-${m.studyDate.slice(4, 6)}-${m.studyDate.slice(6, 8)}` : '';
  return ['PACS', who, when, m.modalities.join('/')].filter(Boolean).join(' · ');
}
