/**
 * The attribution map as a Parametric Map (PS3.3 A.75): one frame of 32-bit floats (Float Pixel
 * Data) in the scan's field of view, whose Real World Value Mapping says what the values are
 * (the normalized attribution, 0..1, no units, by the named method), derived from the source
 * instance and frame, sharing its Frame of Reference and plane where it has one.
 */
import { methodLabel } from '../../native-models/explain/methods';
import { algorithmIdentity } from './algorithm';
import { CODES, METHOD_CODES, codeItem } from './codes';
import { commonAttributes, commonInstanceReference, sourceReference, type ObjectContext } from './common';
import { binaryValue, type Dataset } from './dcmjs';
import { geometryGroups, mapGeometry, type MapGeometry } from './geometry';

export const PARAMETRIC_MAP_STORAGE = '1.2.840.10008.5.1.4.1.1.30';
export const PARAMETRIC_MAP_SERIES_NUMBER = 9701;

export interface AttributionMap {
  width: number;
  height: number;
  values: Float32Array;
}

/** One line naming what made the map, for Derivation Description (ST, at most 1024 characters). */
export function derivationText(ctx: ObjectContext): string {
  const e = ctx.explanation;
  const { parameters } = algorithmIdentity(e);
  return `${methodLabel(e.method)} attribution of "${e.input.text}" by model ${e.model.name} (SHA-256 ${e.model.sha256}); ${parameters.join(', ')}`.slice(0, 1024);
}

/** The frame of reference the map shares: the source's, else one of its own (a projection image has none). */
export function frameOfReference(ctx: ObjectContext): Dataset {
  const g = ctx.source.geometry;
  return g
    ? { FrameOfReferenceUID: g.frameOfReferenceUid, PositionReferenceIndicator: g.positionReferenceIndicator }
    : { FrameOfReferenceUID: ctx.uid('frame-of-reference'), PositionReferenceIndicator: '' };
}

/** AT values: dcmjs takes the tag as a number. */
const IMAGE_POSITION_PATIENT = 0x00200032;
const PLANE_POSITION_SEQUENCE = 0x00209113;

/**
 * Image Type and Frame Type: derived, primary; the flavour of the source's pixels (a slice of a
 * volume, or a single projection); the pixels hold a quantity (PS3.3 C.8.16.1).
 */
function frameType(geometry: MapGeometry): string[] {
  return ['DERIVED', 'PRIMARY', geometry.fromSource ? 'VOLUME' : 'STATIC', 'QUANTITY'];
}

export function parametricMapDataset(ctx: ObjectContext, map: AttributionMap): Dataset {
  const e = ctx.explanation;
  const geometry = mapGeometry(ctx.source, map.width, map.height);
  const method = METHOD_CODES[e.method];
  const derivation: Dataset = {
    DerivationDescription: derivationText(ctx),
    DerivationCodeSequence: [codeItem(CODES.attributionMap)],
    SourceImageSequence: [sourceReference(ctx.source, { PurposeOfReferenceCodeSequence: [codeItem(CODES.sourceImageForProcessing)] })],
  };
  const realWorldValueMapping: Dataset = {
    LUTExplanation: `${method.meaning}, normalized`.slice(0, 64),
    LUTLabel: 'ATTRIBUTION',
    MeasurementUnitsCodeSequence: [codeItem(CODES.noUnits)],
    DoubleFloatRealWorldValueFirstValueMapped: 0,
    DoubleFloatRealWorldValueLastValueMapped: 1,
    RealWorldValueIntercept: 0,
    RealWorldValueSlope: 1,
    QuantityDefinitionSequence: [
      { ValueType: 'CODE', ConceptNameCodeSequence: [codeItem(CODES.quantity)], ConceptCodeSequence: [codeItem(CODES.attribution)] },
      { ValueType: 'CODE', ConceptNameCodeSequence: [codeItem(CODES.measurementMethod)], ConceptCodeSequence: [codeItem(method)] },
    ],
  };
  return {
    ...commonAttributes(ctx, {
      sopClassUid: PARAMETRIC_MAP_STORAGE,
      role: 'pm',
      modality: 'OT',
      seriesNumber: PARAMETRIC_MAP_SERIES_NUMBER,
      lateralityWhenUnknown: 'empty',
      seriesDescription: `Candor attribution map (${methodLabel(e.method)})`.slice(0, 64),
    }),
    ...frameOfReference(ctx),
    ...commonInstanceReference(ctx.source),
    ImageType: frameType(geometry),
    ContentLabel: 'ATTRIBUTION',
    ContentDescription: `Attribution map: ${e.input.text}`.slice(0, 64),
    ContentCreatorName: '',
    RecognizableVisualFeatures: 'NO',
    // Explanations are not for diagnosis; RESEARCH tells receiving systems so.
    ContentQualification: 'RESEARCH',
    AcquisitionContextSequence: [],
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: map.height,
    Columns: map.width,
    BitsAllocated: 32,
    NumberOfFrames: 1,
    PresentationLUTShape: 'IDENTITY',
    LossyImageCompression: '00',
    BurnedInAnnotation: 'NO',
    SharedFunctionalGroupsSequence: [
      {
        ...geometryGroups(geometry),
        DerivationImageSequence: [derivation],
        RealWorldValueMappingSequence: [realWorldValueMapping],
        ParametricMapFrameTypeSequence: [{ FrameType: frameType(geometry) }],
        PixelValueTransformationSequence: [{ RescaleIntercept: '0', RescaleSlope: '1', RescaleType: 'US' }],
        FrameVOILUTSequence: [{ WindowCenter: '0.5', WindowWidth: '1', WindowCenterWidthExplanation: 'Attribution 0 to 1' }],
      },
    ],
    PerFrameFunctionalGroupsSequence: [{ FrameContentSequence: [{ DimensionIndexValues: [1] }] }],
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: ctx.uid('pm/dimensions') }],
    DimensionIndexSequence: [{ DimensionOrganizationUID: ctx.uid('pm/dimensions'), DimensionIndexPointer: IMAGE_POSITION_PATIENT, FunctionalGroupPointer: PLANE_POSITION_SEQUENCE }],
    FloatPixelData: binaryValue(map.values),
  };
}
