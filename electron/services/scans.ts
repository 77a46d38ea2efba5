/** Scans opened in this session, by id; the pixels are decoded on demand per frame. */
import { randomUUID } from 'node:crypto';
import type { FramePixels, ScanSummary } from '../api/contract';
import { loadScan, type LoadedScan } from '../imaging/index';
import { NotFoundError, UserInputError } from '../../native-models/errors';

interface OpenScan {
  summary: ScanSummary;
  loaded: LoadedScan;
}

export class ScanRegistry {
  private readonly scans = new Map<string, OpenScan>();

  async open(path: string): Promise<ScanSummary> {
    const loaded = await loadScan(path);
    const summary: ScanSummary = { ...loaded.summary, id: randomUUID() };
    this.scans.set(summary.id, { summary, loaded });
    return summary;
  }

  get(scanId: string): OpenScan {
    const scan = this.scans.get(scanId);
    if (!scan) throw new NotFoundError(`no open scan with id ${scanId}; open the file again`);
    return scan;
  }

  findBySha256(sha256: string): ScanSummary | null {
    for (const { summary } of this.scans.values()) if (summary.sha256 === sha256) return summary;
    return null;
  }

  async frame(scanId: string, frame: number): Promise<FramePixels> {
    const { summary, loaded } = this.get(scanId);
    if (frame > summary.frames) {
      throw new UserInputError(`${summary.fileName}: frame ${frame} requested, the scan has ${summary.frames}`);
    }
    const pixels = await loaded.frame(frame);
    return { scanId, frame, width: summary.width, height: summary.height, channels: summary.channels, pixels };
  }
}
