import { useRef, useState } from 'react';
import type { Region } from '../../../electron/api/contract';
import { boxFrom, extendStroke, outlineFrom, type Point, type RegionTool } from './drawing';

/** Screen pixels between two points of a freehand stroke. */
const STROKE_STEP_PX = 3;

export interface RegionDraft {
  /** Whether a left-drag draws a region now (the tool is on and the viewer takes regions). */
  active: boolean;
  /** The stroke so far, in scan pixels. */
  points: Point[] | null;
  begin(p: Point): void;
  extend(p: Point, zoom: number): void;
  finish(): void;
}

/** A region being drawn in one viewer: a box from its two corners, or a freehand outline. */
export function useRegionDraft(tool: RegionTool, onRegion: ((r: Region) => void) | undefined): RegionDraft {
  const [points, setPoints] = useState<Point[] | null>(null);
  const ref = useRef<Point[] | null>(null);
  const set = (p: Point[] | null) => {
    ref.current = p;
    setPoints(p);
  };
  return {
    active: tool !== 'off' && onRegion !== undefined,
    points,
    begin: (p) => set([p]),
    extend: (p, zoom) => {
      const d = ref.current;
      if (d) set(tool === 'box' ? [d[0]!, p] : extendStroke(d, p, STROKE_STEP_PX / zoom));
    },
    finish: () => {
      const d = ref.current;
      set(null);
      if (!d || !onRegion) return;
      const r = tool === 'box' ? boxFrom(d[0]!, d[d.length - 1]!) : outlineFrom(d);
      if (r) onRegion(r);
    },
  };
}
