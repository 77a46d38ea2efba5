/**
 * The map above a threshold as a binary Segmentation (PS3.3 A.51): one segment, one frame on the
 * map's grid, in the Parametric Map's frame of reference, derived from the source instance, the
 * model named as the segmentation algorithm (its SHA-256 as the version).
 */
import { CODES, codeItem } from './codes';
import { algorithmIdentity } from './algorithm';
import { commonAttributes, commonInstanceReference, sourceReference, type ObjectContext } from './common';
import { binaryValue, type Dataset } from './dcmjs';
import { geometryGroups, mapGeometry } from './geometry';
import { derivationText, frameOfReference, type AttributionMap } from './parametric-map';

export const SEGMENTATION_STORAGE = '1.2.840.10008.5.1.4.1.1.66.4';
export const SEGMENTATION_SERIES_NUMBER = 9702;

/** Pixels at or above the threshold, packed one bit each, least significant bit first (PS3.5 8.1.1). */
export function packMask(values: Float32Array, threshold: number): { bits: Uint8Array; count: number } {
  const bytes = new Uint8Array(Math.ceil(values.length / 8));
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i]! >= threshold) {
      bytes[i >> 3]! |= 1 << (i & 7);
      count++;
    }
  }
  return { bits: bytes, count };
}

/** AT values: dcmjs takes the tag as a number. */
const REFERENCED_SEGMENT_NUMBER = 0x0062000b;
const SEGMENT_IDENTIFICATION_SEQUENCE = 0x0062000a;
const IMAGE_POSITION_PATIENT = 0x00200032;
const PLANE_POSITION_SEQUENCE = 0x00209113;

/**
 * Where the segmentation lies. With a source plane (and slice thickness, which a Segmentation's
 * Pixel Measures must state) it shares the source's frame of reference and plane, as the
 * Parametric Map does. A projection image has neither: then, as the standard allows for images
 * without a frame of reference, the Segmentation states none and carries the source's Patient
 * Orientation; its pixels map to the source's through the Derivation Image reference.
 */
function placement(ctx: ObjectContext, map: AttributionMap): { top: Dataset; shared: Dataset; perFrame: Dataset; dimensions: Dataset[] } {
  const g = ctx.source.geometry;
  const segment = { DimensionIndexPointer: REFERENCED_SEGMENT_NUMBER, FunctionalGroupPointer: SEGMENT_IDENTIFICATION_SEQUENCE };
  if (!g?.position || !g.orientation || g.sliceThickness === null) {
    return { top: { PatientOrientation: ctx.source.patientOrientation ?? '' }, shared: {}, perFrame: { FrameContentSequence: [{ DimensionIndexValues: [1] }] }, dimensions: [segment] };
  }
  const { PlanePositionSequence, ...shared } = geometryGroups(mapGeometry(ctx.source, map.width, map.height), g.sliceThickness);
  return {
    top: frameOfReference(ctx),
    shared,
    perFrame: { FrameContentSequence: [{ DimensionIndexValues: [1, 1] }], PlanePositionSequence },
    dimensions: [segment, { DimensionIndexPointer: IMAGE_POSITION_PATIENT, FunctionalGroupPointer: PLANE_POSITION_SEQUENCE }],
  };
}

/** The Segmentation, or null when no pixel reaches the threshold (a segment must have a frame). */
export function segmentationDataset(ctx: ObjectContext, map: AttributionMap, threshold: number): Dataset | null {
  const { bits, count } = packMask(map.values, threshold);
  if (count === 0) return null;
  const algorithm = algorithmIdentity(ctx.explanation, { threshold });
  const place = placement(ctx, map);
  const dimensions = ctx.uid('seg/dimensions');
  return {
    ...commonAttributes(ctx, {
      sopClassUid: SEGMENTATION_STORAGE,
      role: 'seg',
      modality: 'SEG',
      seriesNumber: SEGMENTATION_SERIES_NUMBER,
      lateralityWhenUnknown: 'absent',
      seriesDescription: `Candor attribution >= ${threshold} (not for diagnosis)`.slice(0, 64),
    }),
    ...place.top,
    ...commonInstanceReference(ctx.source),
    ImageType: ['DERIVED', 'PRIMARY'],
    ContentLabel: 'ATTRIBUTION',
    ContentDescription: `Attribution >= ${threshold}: ${ctx.explanation.input.text}`.slice(0, 64),
    ContentCreatorName: '',
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: map.height,
    Columns: map.width,
    BitsAllocated: 1,
    BitsStored: 1,
    HighBit: 0,
    PixelRepresentation: 0,
    NumberOfFrames: 1,
    LossyImageCompression: '00',
    SegmentationType: 'BINARY',
    SegmentSequence: [
      {
        SegmentNumber: 1,
        SegmentLabel: `Attribution >= ${threshold}`.slice(0, 64),
        SegmentDescription: ctx.explanation.input.text.slice(0, 64),
        SegmentedPropertyCategoryCodeSequence: [codeItem(CODES.explanationRegion)],
        SegmentedPropertyTypeCodeSequence: [codeItem(CODES.highAttribution)],
        SegmentAlgorithmType: 'AUTOMATIC',
        SegmentAlgorithmName: algorithm.name,
        SegmentationAlgorithmIdentificationSequence: [
          {
            AlgorithmFamilyCodeSequence: [codeItem(CODES.artificialIntelligence)],
            AlgorithmName: algorithm.name,
            AlgorithmVersion: algorithm.version,
            AlgorithmParameters: algorithm.parameters.join('; '),
          },
        ],
      },
    ],
    SharedFunctionalGroupsSequence: [
      {
        ...place.shared,
        DerivationImageSequence: [
          {
            DerivationDescription: derivationText(ctx),
            DerivationCodeSequence: [codeItem(CODES.segmentationDerivation)],
            SourceImageSequence: [sourceReference(ctx.source, { PurposeOfReferenceCodeSequence: [codeItem(CODES.sourceImageForProcessing)] })],
          },
        ],
      },
    ],
    PerFrameFunctionalGroupsSequence: [{ ...place.perFrame, SegmentIdentificationSequence: [{ ReferencedSegmentNumber: 1 }] }],
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimensions }],
    DimensionIndexSequence: place.dimensions.map((d) => ({ DimensionOrganizationUID: dimensions, ...d })),
    PixelData: binaryValue(bits),
  };
}
