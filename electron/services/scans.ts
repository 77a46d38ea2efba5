/**
 * Scans opened in this session, by id; the pixels are decoded on demand per frame. A scan is
 * released when the renderer closes it (scan:close) or, past MAX_OPEN_SCANS, when it is the one
 * used longest ago: each open scan keeps its whole file in memory.
 */
import { randomUUID } from 'node:crypto';
import type { FramePixels, ScanSummary } from '../api/contract';
import { loadScan, type LoadedScan } from '../imaging/index';
import { NotFoundError, UserInputError } from '../../native-models/errors';
import { LruMap } from './lru';

/** How many scans stay open at once; a study list of this many thumbnails still fits. */
export const MAX_OPEN_SCANS = 32;

export interface OpenScan {
  summary: ScanSummary;
  loaded: LoadedScan;
}

export class ScanRegistry {
  private readonly scans: LruMap<string, OpenScan>;

  constructor(capacity = MAX_OPEN_SCANS) {
    this.scans = new LruMap(capacity);
  }

  async open(path: string): Promise<ScanSummary> {
    const loaded = await loadScan(path);
    const summary: ScanSummary = { ...loaded.summary, id: randomUUID() };
    this.scans.set(summary.id, { summary, loaded });
    return summary;
  }

  get(scanId: string): OpenScan {
    const scan = this.scans.get(scanId);
    if (!scan) {
      throw new NotFoundError(`no open scan with id ${scanId} (it was closed, or ${this.scans.capacity} other scans were used since); open the file again`);
    }
    return scan;
  }

  /** Releases a scan; false when it was not open (closed before, or dropped). */
  close(scanId: string): boolean {
    return this.scans.delete(scanId);
  }

  get openCount(): number {
    return this.scans.size;
  }

  findBySha256(sha256: string): ScanSummary | null {
    for (const { summary } of this.scans.values()) if (summary.sha256 === sha256) return summary;
    return null;
  }

  frame(scanId: string, frame: number): Promise<FramePixels> {
    return frameOf(this.get(scanId), frame);
  }
}

/** One frame of a scan already in hand: work that started on a scan finishes even if it is closed meanwhile. */
export async function frameOf({ summary, loaded }: OpenScan, frame: number): Promise<FramePixels> {
  if (frame > summary.frames) {
    throw new UserInputError(`${summary.fileName}: frame ${frame} requested, the scan has ${summary.frames}`);
  }
  const pixels = await loaded.frame(frame);
  return { scanId: summary.id, frame, width: summary.width, height: summary.height, channels: summary.channels, pixels };
}
