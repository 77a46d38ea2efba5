/**
 * Text values in the data set's Specific Character Set (0008,0005). dicom-parser reads bytes
 * as Latin-1, which garbles UTF-8 and the Asian character sets real PACS exports use.
 */
import type { DataSet } from 'dicom-parser';

const ENCODINGS: Record<string, string> = {
  '': 'latin1',
  ISO_IR_6: 'latin1',
  ISO_IR_100: 'latin1',
  ISO_IR_101: 'iso-8859-2',
  ISO_IR_109: 'iso-8859-3',
  ISO_IR_110: 'iso-8859-4',
  ISO_IR_144: 'iso-8859-5',
  ISO_IR_127: 'iso-8859-6',
  ISO_IR_126: 'iso-8859-7',
  ISO_IR_138: 'iso-8859-8',
  ISO_IR_148: 'iso-8859-9',
  ISO_IR_166: 'windows-874',
  ISO_IR_13: 'shift_jis',
  ISO_IR_192: 'utf-8',
  GB18030: 'gb18030',
  GBK: 'gbk',
  'ISO_2022_IR_6': 'latin1',
  'ISO_2022_IR_100': 'latin1',
  'ISO_2022_IR_87': 'iso-2022-jp',
  'ISO_2022_IR_13': 'shift_jis',
  'ISO_2022_IR_149': 'euc-kr',
  'ISO_2022_IR_58': 'gb2312',
};

const decoders = new Map<string, TextDecoder>();

function decoderFor(label: string): TextDecoder {
  let d = decoders.get(label);
  if (!d) {
    try {
      d = new TextDecoder(label);
    } catch {
      d = new TextDecoder('latin1');
    }
    decoders.set(label, d);
  }
  return d;
}

/** The encoding to use for a data set (the first term that names a known one; Latin-1 otherwise). */
export function encodingOf(ds: DataSet): string {
  const el = ds.elements.x00080005;
  if (!el || el.length === 0) return 'latin1';
  const raw = String.fromCharCode(...ds.byteArray.subarray(el.dataOffset, el.dataOffset + Math.min(el.length, 256)));
  for (const term of raw.split('\\')) {
    const key = term.trim().replace(/[\s]+/g, '_').replace(/\0/g, '');
    if (key && ENCODINGS[key]) return ENCODINGS[key];
  }
  return 'latin1';
}

/** Decodes value bytes, trimming trailing spaces and NULs. */
export function decodeText(bytes: Uint8Array, encoding: string): string {
  return decoderFor(encoding).decode(bytes).replace(/[\0 ]+$/, '');
}

/** A text attribute of `ds` decoded in `encoding` (null when absent or empty). */
export function textValue(ds: DataSet, tag: string, encoding: string): string | null {
  const el = ds.elements[tag];
  if (!el || el.length === 0 || el.dataOffset + el.length > ds.byteArray.length) return null;
  const s = decodeText(ds.byteArray.subarray(el.dataOffset, el.dataOffset + el.length), encoding).trim();
  return s === '' ? null : s;
}
