/** The reader's region from pointer strokes, in scan pixel coordinates (pure: unit-tested). */
import { MAX_OUTLINE_POINTS, type Region } from '../../../electron/api/contract';

export type Point = [number, number];
export type RegionTool = 'off' | 'box' | 'outline';

/** The tool after the current one: off → box → outline → off. */
export function nextTool(t: RegionTool): RegionTool {
  return t === 'off' ? 'box' : t === 'box' ? 'outline' : 'off';
}

/** A box spanned by two corners, or null when it has no area worth measuring (under one scan pixel a side). */
export function boxFrom(a: Point, b: Point): Region | null {
  const x = Math.min(a[0], b[0]), y = Math.min(a[1], b[1]);
  const width = Math.abs(a[0] - b[0]), height = Math.abs(a[1] - b[1]);
  return width >= 1 && height >= 1 ? { kind: 'box', x, y, width, height } : null;
}

/** Adds a stroke point unless it is closer than `minStep` scan pixels to the last one (a still hand adds nothing). */
export function extendStroke(points: Point[], p: Point, minStep: number): Point[] {
  const last = points[points.length - 1];
  return last && Math.hypot(p[0] - last[0], p[1] - last[1]) < minStep ? points : [...points, p];
}

/** A freehand stroke as an outline (closed back to its start), thinned to at most MAX_OUTLINE_POINTS; null when it encloses nothing. */
export function outlineFrom(points: Point[]): Region | null {
  if (points.length < 3) return null;
  const step = Math.ceil(points.length / MAX_OUTLINE_POINTS);
  const kept = step > 1 ? points.filter((_, i) => i % step === 0) : points;
  // Shoelace area: a stroke back and forth along a line encloses nothing.
  let area = 0;
  for (let i = 0; i < kept.length; i++) {
    const [x0, y0] = kept[i]!, [x1, y1] = kept[(i + 1) % kept.length]!;
    area += x0 * y1 - x1 * y0;
  }
  return Math.abs(area) / 2 >= 1 ? { kind: 'outline', points: kept.map(([x, y]) => [x, y]) } : null;
}
