/**
 * The scan with the attribution overlay burned in, as a Secondary Capture, for viewers that
 * show neither Parametric Maps nor Segmentations. The overlay is the PDF report's (viridis over
 * the scan under the reviewer's window, electron/report/overlay.ts); a black band above the
 * image carries the label "explanation overlay - not for diagnosis" in burned-in text, which
 * Burned In Annotation, Image Comments and the series description repeat.
 */
import { methodLabel } from '../../native-models/explain/methods';
import { composeScanAndOverlay, type RgbImage } from '../report/overlay';
import { GLYPH_HEIGHT, LINE_HEIGHT, drawText, wrap } from './bitmap-font';
import { CODES, codeItem } from './codes';
import { commonAttributes, commonInstanceReference, sourceReference, type ObjectContext } from './common';
import { binaryValue, type Dataset } from './dcmjs';
import { derivationText, type AttributionMap } from './parametric-map';

export const SECONDARY_CAPTURE_STORAGE = '1.2.840.10008.5.1.4.1.1.7';
export const SECONDARY_CAPTURE_SERIES_NUMBER = 9703;
export const OVERLAY_LABEL = 'EXPLANATION OVERLAY - NOT FOR DIAGNOSIS';
/** The description attributes (LO) say the same in words. */
export const OVERLAY_DESCRIPTION = 'Candor explanation overlay - not for diagnosis';
/** Long side of the captured image: print resolution, as the PDF's, but sharper. */
export const CAPTURE_MAX_SIDE = 1024;

const LABEL_COLOUR = [255, 200, 0] as const;
const TEXT_COLOUR = [230, 230, 230] as const;
/** The explained sentence takes at most this many lines of the band. */
const MAX_TEXT_LINES = 3;

export interface Capture {
  image: RgbImage;
  /** Height of the label band above the image, pixels. */
  band: number;
  scale: number;
  lines: string[];
}

/** Font scale: legible at the image's size (2 font pixels per pixel up to 800 wide, then more). */
function fontScale(width: number): number {
  return Math.min(6, Math.max(2, Math.floor(width / 400)));
}

export function captureImage(ctx: ObjectContext, map: AttributionMap): Capture {
  const { overlay } = composeScanAndOverlay(ctx.source.display, map, CAPTURE_MAX_SIDE);
  if (!overlay) throw new Error('composeScanAndOverlay returned no overlay for a map');
  const e = ctx.explanation;
  const pad = Math.max(4, Math.round(overlay.width / 100));
  const textWidth = overlay.width - 2 * pad;
  // A very narrow image takes the smallest font rather than lose the label.
  const scale = wrap(OVERLAY_LABEL, textWidth, fontScale(overlay.width)).some((l) => l.length < 3) ? 1 : fontScale(overlay.width);
  const sentence = wrap(`"${e.input.text}"`, textWidth, scale);
  const lines = [
    ...wrap(OVERLAY_LABEL, textWidth, scale),
    ...wrap(`${methodLabel(e.method)} attribution, similarity ${e.similarity.toFixed(3)}, model ${e.model.name} ${e.model.sha256.slice(0, 12)}`, textWidth, scale),
    ...(sentence.length > MAX_TEXT_LINES ? [...sentence.slice(0, MAX_TEXT_LINES - 1), `${sentence[MAX_TEXT_LINES - 1]!.slice(0, -3)}...`] : sentence),
  ];
  const labelLines = wrap(OVERLAY_LABEL, textWidth, scale).length;
  const band = 2 * pad + (lines.length * LINE_HEIGHT - (LINE_HEIGHT - GLYPH_HEIGHT)) * scale;
  const image: RgbImage = { width: overlay.width, height: band + overlay.height, rgb: new Uint8Array(overlay.width * (band + overlay.height) * 3) };
  image.rgb.set(overlay.rgb, band * overlay.width * 3);
  lines.forEach((line, i) => drawText(image, line, pad, pad + i * LINE_HEIGHT * scale, scale, i < labelLines ? LABEL_COLOUR : TEXT_COLOUR));
  return { image, band, scale, lines };
}

export function secondaryCaptureDataset(ctx: ObjectContext, map: AttributionMap): Dataset {
  const { image } = captureImage(ctx, map);
  return {
    ...commonAttributes(ctx, {
      sopClassUid: SECONDARY_CAPTURE_STORAGE,
      role: 'sc',
      modality: 'OT',
      seriesNumber: SECONDARY_CAPTURE_SERIES_NUMBER,
      seriesDescription: OVERLAY_DESCRIPTION,
      lateralityWhenUnknown: 'empty',
    }),
    ...commonInstanceReference(ctx.source),
    ConversionType: 'WSD',
    ImageType: ['DERIVED', 'SECONDARY'],
    PatientOrientation: '',
    ImageComments: `${OVERLAY_DESCRIPTION}. ${derivationText(ctx)}`.slice(0, 10240),
    DerivationDescription: derivationText(ctx),
    DerivationCodeSequence: [codeItem(CODES.attributionMap)],
    SourceImageSequence: [sourceReference(ctx.source, { PurposeOfReferenceCodeSequence: [codeItem(CODES.sourceImageForProcessing)] })],
    BurnedInAnnotation: 'YES',
    RecognizableVisualFeatures: 'NO',
    LossyImageCompression: '00',
    SamplesPerPixel: 3,
    PhotometricInterpretation: 'RGB',
    PlanarConfiguration: 0,
    Rows: image.height,
    Columns: image.width,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    PixelData: binaryValue(image.rgb),
  };
}
