/**
 * The finding as a Comprehensive SR following TID 1500 (Measurement Report), the standard shape
 * of AI results: the device and the reviewer as observers, the procedure, the source image in
 * the image library, and one measurement group (TID 1501) holding the similarity, the
 * faithfulness metrics of the map (inferred from the Parametric Map), each with its method and
 * Algorithm Identification (TID 4019: the model's name, its SHA-256 as the version, the
 * parameters), the sentence explained, the reviewer's decision and note; and, when the reader
 * marked a region, a TID 1410 group with the region and how the map agrees with it.
 */
import type { DicomObject } from './types';
import { algorithmIdentity } from './algorithm';
import { CODES, DECISION_CODES, METHOD_CODES, metricCode, procedureFor } from './codes';
import { MANUFACTURER, commonAttributes, type ObjectContext } from './common';
import type { Dataset } from './dcmjs';
import { code, container, image, num, personName, scoordPolygon, text, uidRef, type InstanceRef } from './sr-content';
import type { Region } from '../../native-models/explain/types';
import { nameUid } from './uids';

export const COMPREHENSIVE_SR_STORAGE = '1.2.840.10008.5.1.4.1.1.88.33';
export const STRUCTURED_REPORT_SERIES_NUMBER = 9704;
/** Candor as an observing device: one UID for the software, whichever machine runs it. */
export const DEVICE_OBSERVER_UID = nameUid('candor/device-observer');

type Written = Pick<DicomObject, 'kind' | 'sopClassUid' | 'sopInstanceUid' | 'seriesInstanceUid'>;

function algorithmItems(ctx: ObjectContext, withParameters: boolean): Dataset[] {
  const a = algorithmIdentity(ctx.explanation);
  return [
    text('HAS CONCEPT MOD', CODES.algorithmName, a.name),
    text('HAS CONCEPT MOD', CODES.algorithmVersion, a.version),
    ...(withParameters ? a.parameters.map((p) => text('HAS CONCEPT MOD', CODES.algorithmParameters, p)) : []),
  ];
}

function observerContext(ctx: ObjectContext): Dataset[] {
  const device = [
    code('HAS OBS CONTEXT', CODES.observerType, CODES.device),
    uidRef('HAS OBS CONTEXT', CODES.deviceObserverUid, DEVICE_OBSERVER_UID),
    text('HAS OBS CONTEXT', CODES.deviceObserverName, 'Candor'),
    text('HAS OBS CONTEXT', CODES.deviceObserverManufacturer, MANUFACTURER),
  ];
  const f = ctx.finding;
  return f ? [...device, code('HAS OBS CONTEXT', CODES.observerType, CODES.person), personName('HAS OBS CONTEXT', CODES.personObserverName, f.reviewer)] : device;
}

function measurementGroup(ctx: ObjectContext, map: InstanceRef | null, source: InstanceRef): Dataset {
  const e = ctx.explanation;
  const f = ctx.finding;
  const method = code('HAS CONCEPT MOD', CODES.measurementMethod, METHOD_CODES[e.method]);
  const fromMap = map ? [image('INFERRED FROM', CODES.sourceOfMeasurement, map)] : [];
  const metrics = Object.keys(e.metrics)
    .sort()
    .filter((k) => Number.isFinite(e.metrics[k]))
    .map((k) => {
      const { code: name, unit } = metricCode(k);
      return num('CONTAINS', name, e.metrics[k]!, unit, [method, ...algorithmItems(ctx, true), ...fromMap]);
    });
  return container('CONTAINS', CODES.measurementGroup, [
    text('HAS OBS CONTEXT', CODES.trackingIdentifier, f ? `Candor finding ${f.seq}` : `Candor explanation ${e.id.slice(0, 8)}`),
    uidRef('HAS OBS CONTEXT', CODES.trackingUid, ctx.uid('tracking')),
    code('CONTAINS', CODES.finding, CODES.explanation),
    num('CONTAINS', CODES.similarity, e.similarity, CODES.noUnits, [...algorithmItems(ctx, false), image('INFERRED FROM', CODES.sourceOfMeasurement, source)]),
    ...metrics,
    text('CONTAINS', CODES.explainedText, e.input.text),
    ...(f ? [code('CONTAINS', CODES.reviewDecision, DECISION_CODES[f.decision])] : []),
    ...(f?.note.trim() ? [text('CONTAINS', CODES.comment, f.note)] : []),
  ], '1501');
}

/** A box as the polygon of its corners, clockwise from the top-left. */
function regionPoints(r: Region): [number, number][] {
  if (r.kind === 'outline') return r.points;
  return [[r.x, r.y], [r.x + r.width, r.y], [r.x + r.width, r.y + r.height], [r.x, r.y + r.height]];
}

/**
 * The reader's region (TID 1410, planar ROI measurements): the outline on the source image and
 * how the map agrees with it, each figure with the method and algorithm like the other metrics.
 */
function regionGroup(ctx: ObjectContext, map: InstanceRef | null, source: InstanceRef): Dataset | null {
  const recorded = ctx.finding?.region;
  if (!recorded) return null;
  const m = recorded.metrics;
  const method = code('HAS CONCEPT MOD', CODES.measurementMethod, METHOD_CODES[ctx.explanation.method]);
  const fromMap = map ? [image('INFERRED FROM', CODES.sourceOfMeasurement, map)] : [];
  const figure = (name: (typeof CODES)[keyof typeof CODES], value: number): Dataset => num('CONTAINS', name, value, CODES.noUnits, [method, ...algorithmItems(ctx, false), ...fromMap]);
  return container('CONTAINS', CODES.measurementGroup, [
    text('HAS OBS CONTEXT', CODES.trackingIdentifier, `Candor finding ${ctx.finding!.seq} reader region`),
    uidRef('HAS OBS CONTEXT', CODES.trackingUid, ctx.uid('region-tracking')),
    code('CONTAINS', CODES.finding, CODES.readerRegion),
    scoordPolygon('CONTAINS', CODES.imageRegion, regionPoints(recorded.region), source),
    figure(CODES.pointingGame, m.pointingGame),
    figure(CODES.pointingGameTolerant, m.pointingGameTolerant),
    figure(CODES.relevanceMass, m.relevanceMass),
    figure(CODES.relevanceRankAccuracy, m.relevanceRankAccuracy),
    figure(CODES.iouTop, m.iouTop),
  ], '1410');
}

/** Every instance the report references, grouped by series, for the evidence sequence. */
function evidence(ctx: ObjectContext, written: Written[]): Dataset[] {
  const s = ctx.source;
  const series: Dataset[] = [
    { SeriesInstanceUID: s.seriesInstanceUid, ReferencedSOPSequence: [{ ReferencedSOPClassUID: s.sopClassUid, ReferencedSOPInstanceUID: s.sopInstanceUid }] },
    ...written.map((w) => ({ SeriesInstanceUID: w.seriesInstanceUid, ReferencedSOPSequence: [{ ReferencedSOPClassUID: w.sopClassUid, ReferencedSOPInstanceUID: w.sopInstanceUid }] })),
  ];
  return [{ StudyInstanceUID: s.studyInstanceUid, ReferencedSeriesSequence: series }];
}

/** The report; `written` are the image objects of the same finding (the map first, if any). */
export function structuredReportDataset(ctx: ObjectContext, written: Written[]): Dataset {
  const s = ctx.source;
  const source: InstanceRef = { sopClassUid: s.sopClassUid, sopInstanceUid: s.sopInstanceUid, ...(s.frames > 1 ? { frame: s.frame } : {}) };
  const pm = written.find((w) => w.kind === 'parametric-map');
  const map: InstanceRef | null = pm ? { sopClassUid: pm.sopClassUid, sopInstanceUid: pm.sopInstanceUid } : null;
  const root = container(null, CODES.imagingMeasurementReport, [
    code('HAS CONCEPT MOD', CODES.language, CODES.english),
    ...observerContext(ctx),
    code('HAS CONCEPT MOD', CODES.procedureReported, procedureFor(s.modality)),
    container('CONTAINS', CODES.imageLibrary, [container('CONTAINS', CODES.imageLibraryGroup, [image('CONTAINS', CODES.source, source)])]),
    container('CONTAINS', CODES.imagingMeasurements, [measurementGroup(ctx, map, source), ...[regionGroup(ctx, map, source)].filter((g) => g !== null)]),
  ], '1500');
  return {
    ...commonAttributes(ctx, {
      sopClassUid: COMPREHENSIVE_SR_STORAGE,
      role: 'sr',
      modality: 'SR',
      seriesNumber: STRUCTURED_REPORT_SERIES_NUMBER,
      seriesDescription: 'Candor explanation finding (not for diagnosis)',
      lateralityWhenUnknown: 'no-anatomy',
    }),
    ReferencedPerformedProcedureStepSequence: [],
    CompletionFlag: 'COMPLETE',
    VerificationFlag: 'UNVERIFIED',
    PerformedProcedureCodeSequence: [],
    PertinentOtherEvidenceSequence: evidence(ctx, written),
    ...root,
  };
}
