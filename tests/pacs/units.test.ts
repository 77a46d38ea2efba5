// The PACS room's pure parts: node addresses, query checking, multipart bodies, DICOM JSON matches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNode } from '../../electron/pacs/node';
import { checkQuery, cfindKeys, normalizeDateRange, qidoParams } from '../../electron/pacs/query';
import { boundaryOf, buildMultipart, parseMultipart } from '../../electron/pacs/multipart';
import { matchFromJson, matchFromNaturalized } from '../../electron/pacs/dicom-json';
import { rejectText } from '../../electron/pacs/dimse';
import { PacsInputError } from '../../electron/pacs/errors';

test('node addresses: a DICOMweb root is normalised, a DIMSE node is split, bad ones are refused with the reason', () => {
  assert.deepEqual(parseNode({ url: 'http://pacs.local:8042/dicom-web/' }), { kind: 'dicomweb', url: 'http://pacs.local:8042/dicom-web', label: 'http://pacs.local:8042/dicom-web' });
  assert.deepEqual(parseNode({ url: 'dimse://ORTHANC@10.0.0.5:4242' }), { kind: 'dimse', calledAet: 'ORTHANC', host: '10.0.0.5', port: 4242, callingAet: 'CANDOR', retrieve: 'get', movePort: null, label: 'dimse://ORTHANC@10.0.0.5:4242' });
  const move = parseNode({ url: 'dimse://PACS@[::1]:104', callingAet: 'READER1', movePort: 11112 });
  assert.equal(move.kind === 'dimse' && `${move.host} ${move.callingAet} ${move.retrieve} ${move.movePort}`, '::1 READER1 move 11112');
  const refused: [Parameters<typeof parseNode>[0], RegExp][] = [
    [{ url: 'ftp://x' }, /neither a DICOMweb root .* nor a DIMSE node/],
    [{ url: 'https://user:secret@pacs/dicom-web' }, /credentials in the URL are not accepted/],
    [{ url: 'http://pacs/dicom-web?x=1' }, /no query or fragment/],
    [{ url: 'dimse://A_TITLE_LONGER_THAN_16@h:104' }, /not an AE title/],
    [{ url: 'dimse://PACS@h:70000' }, /port number 1–65535/],
    [{ url: 'dimse://PACS@h:104', callingAet: 'BAD\\AET' }, /our AE title "BAD\\AET" is not an AE title/],
    [{ url: 'dimse://PACS@h:104', retrieve: 'move' }, /C-MOVE needs a port/],
  ];
  for (const [config, why] of refused) assert.throws(() => parseNode(config), (e: Error) => e instanceof PacsInputError && why.test(e.message), JSON.stringify(config));
});

test('dates: DICOM ranges and ISO dates become DICOM ranges; impossible ones are refused', () => {
  assert.equal(normalizeDateRange('20250101-20251231'), '20250101-20251231');
  assert.equal(normalizeDateRange('20250101-'), '20250101-');
  assert.equal(normalizeDateRange('-20251231'), '-20251231');
  assert.equal(normalizeDateRange('2025-03-04'), '20250304');
  assert.equal(normalizeDateRange('2025-03-04..2025-04-01'), '20250304-20250401');
  assert.equal(normalizeDateRange('..2025-04-01'), '-20250401');
  for (const bad of ['2025', '20250230', '20251231-20250101', '-', '20250101 20250102', 'yesterday']) assert.throws(() => normalizeDateRange(bad), PacsInputError, bad);
});

test('queries: values are trimmed and checked, and written as QIDO parameters and C-FIND keys alike', () => {
  const q = checkQuery({ patientId: ' P1 ', patientName: 'DOE^J*', date: '2025-01-01..2025-01-31', modality: 'ct', accession: 'A7', limit: 5 });
  assert.deepEqual(q, { PatientID: 'P1', PatientName: 'DOE^J*', StudyDate: '20250101-20250131', ModalitiesInStudy: 'CT', AccessionNumber: 'A7', limit: 5 });
  const p = qidoParams(q);
  assert.equal(p.get('PatientName'), 'DOE^J*');
  assert.equal(p.get('limit'), '5');
  assert.ok(p.getAll('includefield').includes('NumberOfStudyRelatedInstances'));
  assert.deepEqual(cfindKeys(q), { PatientID: 'P1', PatientName: 'DOE^J*', StudyDate: '20250101-20250131', ModalitiesInStudy: 'CT', AccessionNumber: 'A7' });
  assert.deepEqual(checkQuery({ patientId: '  ' }), { limit: 200 }, 'blank fields are no condition');
  assert.throws(() => checkQuery({ patientId: 'A\\B' }), /backslash/);
  assert.throws(() => checkQuery({ modality: 'C T' }), /not a DICOM modality code/);
  assert.throws(() => checkQuery({ studyUid: '1.2.abc' }), /not a UID/);
  assert.throws(() => checkQuery({ limit: 0 }), /limit must be 1–1000/);
});

test('multipart/related: what we build parses back part for part, binary bodies intact, and a cut-off body is refused', () => {
  const a = Uint8Array.from({ length: 300 }, (_, i) => i % 256);
  // A body that contains "--" and CRLFs must not confuse the parser.
  const b = Buffer.from('\r\n--not-the-boundary\r\n\r\n--');
  const { body, contentType } = buildMultipart([a, b]);
  const boundary = boundaryOf(contentType)!;
  assert.match(contentType, /^multipart\/related; type="application\/dicom"; boundary=candor-[0-9a-f]{32}$/);
  const parts = parseMultipart(body, boundary);
  assert.equal(parts.length, 2);
  assert.deepEqual([...parts[0]!.body], [...a]);
  assert.deepEqual(parts[1]!.body, b);
  assert.equal(parts[0]!.headers['content-type'], 'application/dicom');
  assert.equal(boundaryOf('multipart/related; type="application/dicom"; boundary="abc def"'), 'abc def');
  assert.equal(boundaryOf('application/json'), null);
  assert.throws(() => parseMultipart(body.subarray(0, body.length - 60), boundary), /ends inside a part/);
});

test('study matches: DICOM JSON (QIDO) and a naturalized C-FIND identifier give the same StudyMatch', () => {
  const json = {
    '0020000D': { vr: 'UI', Value: ['1.2.3'] },
    '00100010': { vr: 'PN', Value: [{ Alphabetic: 'DOE^JANE' }] },
    '00100020': { vr: 'LO', Value: ['P1'] },
    '00080020': { vr: 'DA', Value: ['20250101'] },
    '00080061': { vr: 'CS', Value: ['CT', 'SR'] },
    '00201208': { vr: 'IS', Value: [12] },
    '00080050': { vr: 'SH' },
  };
  const natural = { StudyInstanceUID: '1.2.3', PatientName: [{ Alphabetic: 'DOE^JANE' }], PatientID: 'P1', StudyDate: '20250101', ModalitiesInStudy: ['CT', 'SR'], NumberOfStudyRelatedInstances: '12', AccessionNumber: '' };
  const expected = { studyUid: '1.2.3', patientId: 'P1', patientName: 'DOE^JANE', studyDate: '20250101', studyTime: null, accession: null, description: null, modalities: ['CT', 'SR'], series: null, instances: 12 };
  assert.deepEqual(matchFromJson(json), expected);
  assert.deepEqual(matchFromNaturalized(natural), expected);
  assert.equal(matchFromJson({}), null, 'no Study Instance UID, no match');
});

test('association rejections are said in words, with what to check', () => {
  const node = parseNode({ url: 'dimse://PACS@h:104', callingAet: 'ME' });
  if (node.kind !== 'dimse') throw new Error('dimse');
  assert.equal(rejectText(node, { result: 1, source: 1, reason: 7 }), 'refused the association (permanent): it does not answer to that called AE title (check the AE title "PACS")');
  assert.equal(rejectText(node, { result: 1, source: 1, reason: 3 }), 'refused the association (permanent): it does not know our calling AE title (the node must list "ME" as a known modality)');
  assert.match(rejectText(node, { result: 2, source: 3, reason: 1 }), /transient.*temporary congestion/);
});
