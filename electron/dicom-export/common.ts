/**
 * What every object Candor writes for a finding shares: the source's patient and study (so it
 * lands in the same study), a new series, the equipment (Candor), the instance's UIDs and times,
 * and the declaration of the private coding scheme.
 */
import type { Explanation } from '../../native-models/explain/types';
import type { RecordedFinding } from '../../db/types';
import { CODING_SCHEMES } from './codes';
import type { Dataset } from './dcmjs';
import type { SourceScan } from './source';
import { nameUid, randomUid } from './uids';

export const MANUFACTURER = 'Candor';

/** Everything one finding's objects are made from. */
export interface ObjectContext {
  source: SourceScan;
  explanation: Explanation;
  finding: Omit<RecordedFinding, 'explanation'> | null;
  appVersion: string;
  /** Content and instance creation time: when the finding was recorded, else now. UTC. */
  when: Date;
  /** The UID of a role (`pm/instance`, `sr/series`, …) for this finding. */
  uid(role: string): string;
}

/**
 * A recorded finding's objects take UIDs named by its event hash (the same finding, the same
 * objects); an explanation not recorded gets fresh random ones.
 */
export function objectContext(args: Omit<ObjectContext, 'when' | 'uid'>): ObjectContext {
  const { finding } = args;
  const uids = new Map<string, string>();
  const uid = (role: string): string => {
    let v = uids.get(role);
    if (!v) {
      v = finding ? nameUid(`candor/finding/${finding.eventHash}/${role}`) : randomUid();
      uids.set(role, v);
    }
    return v;
  };
  return { ...args, when: finding ? new Date(finding.time) : new Date(), uid };
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

export function dicomDate(d: Date): string {
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
}

export function dicomTime(d: Date): string {
  return `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
}

export function dicomDateTime(d: Date): string {
  return `${dicomDate(d)}${dicomTime(d)}+0000`;
}

/**
 * The source's body part and laterality. Laterality is required (possibly empty) where the
 * body part is paired or unknown; empty means unknown, so it is sent empty only without either.
 */
function seriesAnatomy(source: SourceScan, unknown: SeriesSpec['lateralityWhenUnknown']): Dataset {
  if (unknown === 'no-anatomy') return {};
  if (source.laterality) return { ...(source.bodyPart ? { BodyPartExamined: source.bodyPart } : {}), Laterality: source.laterality };
  if (source.bodyPart) return { BodyPartExamined: source.bodyPart };
  return unknown === 'empty' ? { Laterality: '' } : {};
}

export interface SeriesSpec {
  sopClassUid: string;
  /** Names the instance's and the series' UIDs: one series per kind of object. */
  role: string;
  modality: string;
  seriesNumber: number;
  seriesDescription: string;
  /**
   * Laterality when the source names neither body part nor laterality: sent empty ("unknown"),
   * or left out. dciodvfy reads the Type 2C condition differently per IOD (Parametric Map and
   * Secondary Capture want it, Segmentation refuses it), so each object says. A report (SR
   * Document Series) has neither Body Part Examined nor Laterality: 'no-anatomy'.
   */
  lateralityWhenUnknown: 'empty' | 'absent' | 'no-anatomy';
}

/**
 * Patient, General Study, Patient Study (copied from the source), General Series, General and
 * Enhanced General Equipment, and SOP Common.
 */
export function commonAttributes(ctx: ObjectContext, spec: SeriesSpec): Dataset {
  const date = dicomDate(ctx.when);
  const time = dicomTime(ctx.when);
  return {
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: spec.sopClassUid,
    SOPInstanceUID: ctx.uid(`${spec.role}/instance`),
    InstanceCreationDate: date,
    InstanceCreationTime: time,
    TimezoneOffsetFromUTC: '+0000',
    CodingSchemeIdentificationSequence: CODING_SCHEMES,
    ...ctx.source.identity,
    Modality: spec.modality,
    SeriesInstanceUID: ctx.uid(`${spec.role}/series`),
    SeriesNumber: spec.seriesNumber,
    SeriesDate: date,
    SeriesTime: time,
    SeriesDescription: spec.seriesDescription,
    ...seriesAnatomy(ctx.source, spec.lateralityWhenUnknown),
    InstanceNumber: 1,
    ContentDate: date,
    ContentTime: time,
    Manufacturer: MANUFACTURER,
    ManufacturerModelName: 'Candor explainable image review',
    DeviceSerialNumber: 'software',
    SoftwareVersions: ctx.appVersion,
  };
}

/** The source instance, as a Referenced SOP / Source Image Sequence item (its frame when it has several). */
export function sourceReference(source: SourceScan, extra: Dataset = {}): Dataset {
  return {
    ReferencedSOPClassUID: source.sopClassUid,
    ReferencedSOPInstanceUID: source.sopInstanceUid,
    ...(source.frames > 1 ? { ReferencedFrameNumber: source.frame } : {}),
    ...extra,
  };
}

/** Common Instance Reference module: the source's series and instance (same study). */
export function commonInstanceReference(source: SourceScan): Dataset {
  return {
    ReferencedSeriesSequence: [
      {
        SeriesInstanceUID: source.seriesInstanceUid,
        ReferencedInstanceSequence: [{ ReferencedSOPClassUID: source.sopClassUid, ReferencedSOPInstanceUID: source.sopInstanceUid }],
      },
    ],
  };
}
