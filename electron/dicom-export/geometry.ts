/**
 * The map's pixels in the source's space. The attribution map covers the scan's whole field of
 * view at its own resolution (at most 512 on the long side), so each map pixel spans
 * source columns/map columns source pixels; spacing scales by that factor and the first map
 * pixel's centre moves half a map pixel minus half a source pixel along the row and column.
 */
import type { Dataset } from './dcmjs';
import type { SourceScan } from './source';

export interface MapGeometry {
  /** Pixel Measures: row spacing, column spacing (mm). */
  pixelSpacing: [number, number];
  /** Plane Position and Orientation (Patient) of the map's first pixel centre. */
  position: [number, number, number];
  orientation: [number, number, number, number, number, number];
  /** Whether the plane is the source's own; else it is the map's own frame of reference (see mapGeometry). */
  fromSource: boolean;
}

/** DS values are at most 16 characters. */
export function ds(v: number): string {
  for (let digits = 10; digits > 0; digits--) {
    const s = Number(v.toPrecision(digits)).toString();
    if (s.length <= 16) return s;
  }
  return v.toExponential(6);
}

/**
 * Where the map lies. A source with a plane (CT, MR, enhanced objects) gives its own; a
 * projection image (DX, CR) has none, yet a Parametric Map and a Segmentation must state one
 * (PS3.3 A.75, A.51): they get a frame of reference of their own, the source's first pixel
 * centre at its origin and rows along x, columns along y. Only the map and its segmentation share
 * it, so it claims nothing about the patient; the Derivation Image reference ties the map to
 * the source's pixels. Without a pixel spacing in the source, source pixels count as 1 mm.
 */
export function mapGeometry(source: SourceScan, width: number, height: number): MapGeometry {
  const fx = source.columns / width;
  const fy = source.rows / height;
  const spacing = source.pixelSpacing ?? [1, 1];
  const pixelSpacing: [number, number] = [spacing[0] * fy, spacing[1] * fx];
  const g = source.geometry;
  const fromSource = Boolean(g?.position && g.orientation);
  const position = g?.position && g.orientation ? g.position : [0, 0, 0];
  const orientation = g?.position && g.orientation ? g.orientation : ([1, 0, 0, 0, 1, 0] as const);
  const [rx, ry, rz, cx, cy, cz] = orientation;
  // Along a row (increasing column) by column spacing; down a column (increasing row) by row spacing.
  const dc = ((fx - 1) / 2) * spacing[1];
  const dr = ((fy - 1) / 2) * spacing[0];
  const [px, py, pz] = position;
  return {
    pixelSpacing,
    position: [px + rx * dc + cx * dr, py + ry * dc + cy * dr, pz + rz * dc + cz * dr],
    orientation: [rx, ry, rz, cx, cy, cz],
    fromSource,
  };
}

/** The shared functional group items that place the map: Pixel Measures, Plane Position and Orientation. */
export function geometryGroups(geometry: MapGeometry, sliceThickness: number | null = null): Dataset {
  return {
    PixelMeasuresSequence: [{ PixelSpacing: geometry.pixelSpacing.map(ds), ...(sliceThickness !== null ? { SliceThickness: ds(sliceThickness) } : {}) }],
    PlanePositionSequence: [{ ImagePositionPatient: geometry.position.map(ds) }],
    PlaneOrientationSequence: [{ ImageOrientationPatient: geometry.orientation.map(ds) }],
  };
}
