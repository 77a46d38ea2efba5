/**
 * The coded concepts the objects use. Standard ones come from DCM (PS3.16), SNOMED CT (SCT) and
 * UCUM; the concepts no standard names (an attribution map, a faithfulness metric, the
 * reviewer's verdict on an explanation) use Candor's private coding scheme `99CANDOR` ("99"
 * marks a private scheme, PS3.16 8.2), declared in every object's Coding Scheme Identification
 * Sequence. Code values are at most 16 characters (VR SH), meanings at most 64 (LO).
 */
import type { Method } from '../../native-models/explain/types';
import type { Decision } from '../../db/types';
import type { Dataset } from './dcmjs';

export interface Code {
  value: string;
  scheme: string;
  meaning: string;
}

export const CANDOR_SCHEME = '99CANDOR';

const dcm = (value: string, meaning: string): Code => ({ value, scheme: 'DCM', meaning });
const sct = (value: string, meaning: string): Code => ({ value, scheme: 'SCT', meaning });
const candor = (value: string, meaning: string): Code => ({ value, scheme: CANDOR_SCHEME, meaning });

export const CODES = {
  imagingMeasurementReport: dcm('126000', 'Imaging Measurement Report'),
  language: dcm('121049', 'Language of Content Item and Descendants'),
  english: { value: 'en', scheme: 'RFC5646', meaning: 'English' },
  observerType: dcm('121005', 'Observer Type'),
  device: dcm('121007', 'Device'),
  person: dcm('121006', 'Person'),
  deviceObserverUid: dcm('121012', 'Device Observer UID'),
  deviceObserverName: dcm('121013', 'Device Observer Name'),
  deviceObserverManufacturer: dcm('121014', 'Device Observer Manufacturer'),
  personObserverName: dcm('121008', 'Person Observer Name'),
  procedureReported: dcm('121058', 'Procedure reported'),
  imageLibrary: dcm('111028', 'Image Library'),
  imageLibraryGroup: dcm('126200', 'Image Library Group'),
  source: sct('260753009', 'Source'),
  imagingMeasurements: dcm('126010', 'Imaging Measurements'),
  measurementGroup: dcm('125007', 'Measurement Group'),
  trackingIdentifier: dcm('112039', 'Tracking Identifier'),
  trackingUid: dcm('112040', 'Tracking Unique Identifier'),
  finding: dcm('121071', 'Finding'),
  measurementMethod: sct('370129005', 'Measurement Method'),
  algorithmName: dcm('111001', 'Algorithm Name'),
  algorithmVersion: dcm('111003', 'Algorithm Version'),
  algorithmParameters: dcm('111002', 'Algorithm Parameters'),
  sourceOfMeasurement: dcm('121112', 'Source of Measurement'),
  comment: dcm('121106', 'Comment'),
  quantity: sct('246205007', 'Quantity'),
  sourceImageForProcessing: dcm('121322', 'Source image for image processing operation'),
  segmentationDerivation: dcm('113076', 'Segmentation'),
  artificialIntelligence: dcm('123110', 'Artificial Intelligence'),
  noUnits: { value: '1', scheme: 'UCUM', meaning: 'no units' },
  percent: { value: '%', scheme: 'UCUM', meaning: 'percent' },

  explanation: candor('EXPLANATION', 'Explanation of image-report agreement'),
  attribution: candor('ATTRIBUTION', 'Image attribution, normalized 0 to 1'),
  attributionMap: candor('ATTRIB-MAP', 'Attribution map computation'),
  similarity: candor('SIMILARITY', 'Image-report similarity (cosine)'),
  explainedText: candor('EXPLAINED-TEXT', 'Report text explained'),
  reviewDecision: candor('REVIEW-DECISION', 'Reviewer decision on the explanation'),
  explanationRegion: candor('EXPL-REGION', 'Explanation region'),
  highAttribution: candor('HIGH-ATTRIB', 'Region of high image attribution'),
  imageRegion: dcm('111030', 'Image Region'),
  readerRegion: candor('READER-REGION', 'Region marked by the reader'),
  pointingGame: candor('POINTING-GAME', 'Map maximum inside the region (1 hit, 0 miss)'),
  pointingGameTolerant: candor('POINTING-TOL', 'Map maximum within half a patch of the region'),
  relevanceMass: candor('RELEVANCE-MASS', 'Share of the map relevance inside the region'),
  relevanceRankAccuracy: candor('RANK-ACCURACY', 'Share of the top map pixels inside the region'),
  iouTop: candor('IOU-TOP', 'IoU of the top map pixels with the region'),
} as const;

/** The concepts in the `99CANDOR` scheme, for its identification item. */
export const CODING_SCHEMES: Dataset[] = [
  {
    CodingSchemeDesignator: CANDOR_SCHEME,
    CodingSchemeName: 'Candor explanation concepts',
    CodingSchemeResponsibleOrganization: 'Candor',
  },
];

/** Each attribution method as a concept; a new method without a code does not compile. */
export const METHOD_CODES: Record<Method, Code> = {
  nib: candor('NIB', 'Narrowing Information Bottleneck attribution'),
  m2ib: candor('M2IB', 'Multi-modal Information Bottleneck attribution'),
  gradcam: candor('GRADCAM', 'Grad-CAM attribution'),
  rise: candor('RISE', 'RISE attribution (randomized input sampling)'),
  saliency: candor('SALIENCY', 'Gradient saliency attribution'),
  ig: candor('IG', 'Integrated gradients attribution'),
};

export const DECISION_CODES: Record<Decision, Code> = {
  agree: candor('AGREE', 'Reviewer agrees with the explanation'),
  disagree: candor('DISAGREE', 'Reviewer disagrees with the explanation'),
  uncertain: candor('UNCERTAIN', 'Reviewer is uncertain about the explanation'),
};

/** The faithfulness metrics explain() reports (native-models/explain/index.ts), with their units. */
const METRIC_CODES: Record<string, { code: Code; unit: Code }> = {
  vdrop: { code: candor('IMG-CONF-DROP', 'Image confidence drop (masked by the map)'), unit: CODES.percent },
  vincr: { code: candor('IMG-CONF-INCR', 'Image confidence increase (masked by the map)'), unit: CODES.percent },
  deletionAuc: { code: candor('DELETION-AUC', 'Deletion curve area (image)'), unit: CODES.noUnits },
  insertionAuc: { code: candor('INSERTION-AUC', 'Insertion curve area (image)'), unit: CODES.noUnits },
  tdrop: { code: candor('TXT-CONF-DROP', 'Text confidence drop (scaled by word scores)'), unit: CODES.percent },
  tincr: { code: candor('TXT-CONF-INCR', 'Text confidence increase (scaled by word scores)'), unit: CODES.percent },
};

/** A metric's concept and unit; a metric this table does not know keeps its key in the meaning. */
export function metricCode(key: string): { code: Code; unit: Code } {
  const known = METRIC_CODES[key];
  if (known) return known;
  const value = `M-${key.replace(/[^A-Za-z0-9]/g, '').toUpperCase()}`.slice(0, 16);
  return { code: candor(value, `Faithfulness metric ${key}`.slice(0, 64)), unit: CODES.noUnits };
}

/** The procedure a modality's image comes from (SNOMED CT), for "Procedure reported". */
export function procedureFor(modality: string | null): Code {
  switch (modality) {
    case 'CR':
    case 'DX':
    case 'MG':
    case 'RF':
    case 'XA':
      return sct('363680008', 'Radiographic imaging procedure');
    case 'CT':
      return sct('77477000', 'Computerized axial tomography');
    case 'MR':
      return sct('113091000', 'Magnetic resonance imaging');
    case 'US':
      return sct('16310003', 'Diagnostic ultrasonography');
    default:
      return sct('363679005', 'Imaging');
  }
}

/** A Code Sequence item. */
export function codeItem(code: Code): Dataset {
  return { CodeValue: code.value, CodingSchemeDesignator: code.scheme, CodeMeaning: code.meaning };
}
