// The PACS panel's pure parts: the remembered node, the node and the search as the contract takes them, a pulled study's title.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkQuery } from '../../electron/pacs/query';
import { parseNode } from '../../electron/pacs/node';
import { EMPTY_SEARCH, loadNodeForm, nodeConfig, saveNodeForm, studyQuery, studyTitle } from '../../renderer/src/pacs/settings';

test('the node form is remembered, and a broken or missing entry gives an empty form', () => {
  const store = new Map<string, string>();
  const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
  assert.deepEqual(loadNodeForm(storage), { url: '', callingAet: '', movePort: '' });
  saveNodeForm(storage, { url: 'dimse://PACS@h:104', callingAet: 'ME', movePort: '11112' });
  assert.deepEqual(loadNodeForm(storage), { url: 'dimse://PACS@h:104', callingAet: 'ME', movePort: '11112' });
  store.set('candor.pacs.node', '{not json');
  assert.deepEqual(loadNodeForm(storage), { url: '', callingAet: '', movePort: '' });
  assert.deepEqual(loadNodeForm(null), { url: '', callingAet: '', movePort: '' });
});

test('node config: DIMSE fields only for a dimse:// node; a C-MOVE port means C-MOVE; the main process accepts the result', () => {
  assert.deepEqual(nodeConfig({ url: ' http://pacs/dicom-web ', callingAet: 'ME', movePort: '5' }), { url: 'http://pacs/dicom-web' });
  assert.deepEqual(nodeConfig({ url: 'dimse://PACS@h:104', callingAet: ' ME ', movePort: '' }), { url: 'dimse://PACS@h:104', callingAet: 'ME' });
  const move = nodeConfig({ url: 'dimse://PACS@h:104', callingAet: '', movePort: '11112' });
  assert.deepEqual(move, { url: 'dimse://PACS@h:104', movePort: 11112, retrieve: 'move' });
  assert.equal(parseNode(move).kind === 'dimse' && parseNode(move).label, 'dimse://PACS@h:104');
});

test('the search form becomes a query the PACS room accepts: blank fields dropped, date inputs as a range', () => {
  assert.deepEqual(studyQuery(EMPTY_SEARCH), {});
  const q = studyQuery({ patientId: ' P1 ', patientName: 'DOE*', from: '2025-01-01', to: '2025-01-31', modality: 'ct', accession: '' });
  assert.deepEqual(q, { patientId: 'P1', patientName: 'DOE*', modality: 'ct', date: '2025-01-01..2025-01-31' });
  assert.equal(checkQuery(q).StudyDate, '20250101-20250131');
  assert.equal(checkQuery(studyQuery({ ...EMPTY_SEARCH, from: '2025-01-01' })).StudyDate, '20250101-');
  assert.equal(checkQuery(studyQuery({ ...EMPTY_SEARCH, to: '2025-01-31' })).StudyDate, '-20250131');
  assert.equal(checkQuery(studyQuery({ ...EMPTY_SEARCH, from: '2025-01-31', to: '2025-01-31' })).StudyDate, '20250131');
});

test('a pulled study is titled by patient, date and modalities', () => {
  const m = { studyUid: '1.2', patientId: 'P1', patientName: 'DOE^JANE', studyDate: '20250131', studyTime: null, accession: null, description: null, modalities: ['CT', 'SR'], series: 2, instances: 9 };
  assert.equal(studyTitle(m), 'PACS · DOE JANE · 2025-01-31 · CT/SR');
  assert.equal(studyTitle({ ...m, patientName: null, studyDate: null, modalities: [] }), 'PACS · P1');
});
