/**
 * `candor decode FILE [--frame N] [--raw OUT] [--hide-identifying]`: prints the image's
 * metadata as JSON and, with --raw, writes the stored pixel values of one frame (masked to
 * Bits Stored, sign-extended, before rescale, little-endian, colour as interleaved RGB).
 */
import { writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { ImagingError, loadScan, type StoredArray } from '../../imaging/index';

const USAGE = 'usage: candor decode FILE [--frame N] [--raw OUT] [--hide-identifying]\n';

interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

function littleEndianBytes(data: StoredArray): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (endianness() === 'LE' || data.BYTES_PER_ELEMENT === 1) return bytes;
  const out = new Uint8Array(bytes.length);
  const w = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < bytes.length; i += w) for (let k = 0; k < w; k++) out[i + k] = bytes[i + w - 1 - k]!;
  return out;
}

export async function decodeCommand(args: string[], io: Io): Promise<number> {
  let file: string | null = null;
  let frame = 1;
  let raw: string | null = null;
  let hide = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--help' || a === '-h') {
      io.stdout(USAGE);
      return 0;
    }
    if (a === '--frame' || a === '--raw') {
      const v = args[++i];
      if (v === undefined) {
        io.stderr(`candor decode: ${a} needs a value\n${USAGE}`);
        return 2;
      }
      if (a === '--raw') raw = v;
      else {
        if (!/^\d+$/.test(v) || Number(v) < 1) {
          io.stderr(`candor decode: --frame takes a frame number from 1, got '${v}'\n`);
          return 2;
        }
        frame = Number(v);
      }
    } else if (a === '--hide-identifying') hide = true;
    else if (a.startsWith('--')) {
      io.stderr(`candor decode: unknown option ${a}\n${USAGE}`);
      return 2;
    } else if (file === null) file = a;
    else {
      io.stderr(`candor decode: one file at a time (got '${file}' and '${a}')\n`);
      return 2;
    }
  }
  if (file === null) {
    io.stderr(USAGE);
    return 2;
  }
  try {
    const scan = await loadScan(file, { hideIdentifying: hide });
    const { header, summary } = scan;
    const { data } = await scan.storedFrame(frame);
    if (raw !== null) await writeFile(raw, littleEndianBytes(data));
    const out = {
      file: summary.path,
      format: summary.format,
      sha256: summary.sha256,
      ...header,
      frame,
      samples: data.length,
      modality: summary.modality,
      units: summary.units,
      valueRange: summary.valueRange,
      patient: summary.patient,
      raw,
    };
    io.stdout(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof ImagingError) {
      io.stderr(`candor decode: ${err.message}\n`);
      return 1;
    }
    io.stderr(`candor decode: ${file}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
