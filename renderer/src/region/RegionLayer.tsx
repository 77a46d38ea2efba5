import type { Region } from '../../../electron/api/contract';
import type { Point, RegionTool } from './drawing';

interface Props {
  width: number;
  height: number;
  region: Region | null;
  /** The stroke being drawn (scan pixels) and with which tool. */
  draft: { points: Point[]; tool: RegionTool } | null;
  idPrefix: string;
}

function Shape({ region, testId, className }: { region: Region; testId: string; className: string }) {
  return region.kind === 'box' ? (
    <rect x={region.x} y={region.y} width={region.width} height={region.height} className={className} data-testid={testId} vectorEffect="non-scaling-stroke" />
  ) : (
    <polygon points={region.points.map((p) => p.join(',')).join(' ')} className={className} data-testid={testId} vectorEffect="non-scaling-stroke" />
  );
}

/**
 * The reader's region drawn in scan coordinates inside the scan layer, so it moves with pan and
 * zoom and is untouched by window/level; the stroke keeps its screen width at any zoom.
 */
export function RegionLayer({ width, height, region, draft, idPrefix }: Props) {
  if (!region && !draft) return null;
  const [a, b] = draft?.points ?? [];
  return (
    <svg className="region-layer" viewBox={`0 0 ${width} ${height}`} data-testid={`${idPrefix}region-layer`}>
      {region ? <Shape region={region} testId={`${idPrefix}region-shape`} className="region-shape" /> : null}
      {draft && draft.tool === 'box' && a && b ? (
        <rect x={Math.min(a[0], b[0])} y={Math.min(a[1], b[1])} width={Math.abs(a[0] - b[0])} height={Math.abs(a[1] - b[1])} className="region-draft" vectorEffect="non-scaling-stroke" />
      ) : null}
      {draft && draft.tool === 'outline' ? <polyline points={draft.points.map((p) => p.join(',')).join(' ')} className="region-draft" vectorEffect="non-scaling-stroke" /> : null}
    </svg>
  );
}
