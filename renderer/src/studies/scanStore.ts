/**
 * Scans opened in this window, kept by path and by content hash: reopening a study does not
 * decode it again, and the auditor view finds the scan of a recorded finding by its SHA-256.
 */
import type { FramePixels, ScanSummary } from '../../../electron/api/contract';
import { call } from '../api';
import { initialWindow } from '../viewer/presets';
import { prepareFrame, renderPrepared } from '../viewer/windowing';

export interface OpenedScan {
  path: string;
  summary: ScanSummary;
  frames: Map<number, FramePixels>;
  thumbnail: string | null;
}

const byPath = new Map<string, Promise<OpenedScan>>();
const bySha = new Map<string, OpenedScan>();

export function openScan(path: string): Promise<OpenedScan> {
  let p = byPath.get(path);
  if (!p) {
    p = (async () => {
      const summary = await call('scan:open', { path });
      const first = await call('scan:frame', { scanId: summary.id, frame: 1 });
      const opened: OpenedScan = { path, summary, frames: new Map([[1, first]]), thumbnail: makeThumbnail(summary, first) };
      bySha.set(summary.sha256, opened);
      return opened;
    })();
    byPath.set(path, p);
    // A failed open is not cached: the user may fix the file and try again.
    p.catch(() => byPath.delete(path));
  }
  return p;
}

/** Forgets a path so the next open reads the file again (the Open button always does); the main process releases it. */
export function forgetScan(path: string): void {
  void byPath.get(path)?.then((s) => call('scan:close', { scanId: s.summary.id })).catch(() => undefined);
  byPath.delete(path);
}

export async function scanFrame(scan: OpenedScan, frame: number): Promise<FramePixels> {
  const have = scan.frames.get(frame);
  if (have) return have;
  const pixels = await call('scan:frame', { scanId: scan.summary.id, frame });
  // Keep a bounded cine cache: long multi-frame scans would otherwise fill memory.
  if (scan.frames.size > 64) {
    const oldest = scan.frames.keys().next().value;
    if (oldest !== undefined && oldest !== 1) scan.frames.delete(oldest);
  }
  scan.frames.set(frame, pixels);
  return pixels;
}

export function scanBySha(sha256: string): OpenedScan | null {
  return bySha.get(sha256) ?? null;
}

const THUMB = 96;

export function makeThumbnail(summary: ScanSummary, frame: FramePixels): string | null {
  try {
    const full = document.createElement('canvas');
    full.width = frame.width;
    full.height = frame.height;
    const fctx = full.getContext('2d');
    if (!fctx) return null;
    const image = fctx.createImageData(frame.width, frame.height);
    const prepared = prepareFrame(frame.pixels, frame.width, frame.height, frame.channels, summary.pixelPadding);
    renderPrepared(prepared, initialWindow(summary), summary.invertedByDefault, new Uint32Array(image.data.buffer));
    fctx.putImageData(image, 0, 0);
    const k = THUMB / Math.max(frame.width, frame.height);
    const thumb = document.createElement('canvas');
    thumb.width = Math.max(1, Math.round(frame.width * k));
    thumb.height = Math.max(1, Math.round(frame.height * k));
    const tctx = thumb.getContext('2d');
    if (!tctx) return null;
    tctx.imageSmoothingQuality = 'high';
    tctx.drawImage(full, 0, 0, thumb.width, thumb.height);
    return thumb.toDataURL('image/png');
  } catch {
    return null;
  }
}
