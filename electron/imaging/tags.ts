/** The tag browser's view of a data set: every element with its name, VR and a printable value. */
import type { DataSet, Element } from 'dicom-parser';
import { dictionaryEntry, isIdentifying } from './dictionary';
import { decodeText, encodingOf } from './charset';

export interface TagNode {
  tag: string;
  name?: string;
  vr: string;
  value: string;
  items?: TagNode[][];
}

const TEXT_VRS = new Set(['LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UT']);
const STRING_VRS = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UI', 'UR', 'UT']);
const MAX_VALUE_CHARS = 256;
const MAX_NUMBERS = 16;
const MAX_NODES = 20000;
const MAX_DEPTH = 10;

export const HIDDEN = '(hidden)';

function printable(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    out += c < 32 && c !== 9 && c !== 10 && c !== 13 ? '?' : ch;
  }
  return out;
}

function formatTag(key: string): string {
  const hex = key.slice(1).toUpperCase();
  return `(${hex.slice(0, 4)},${hex.slice(4, 8)})`;
}

function numbers(ds: DataSet, el: Element, size: number, read: (i: number) => number | undefined): string {
  const count = Math.floor(el.length / size);
  const out: string[] = [];
  for (let i = 0; i < Math.min(count, MAX_NUMBERS); i++) out.push(String(read(i)));
  if (count > MAX_NUMBERS) out.push(`… (${count} values)`);
  return out.join('\\');
}

function valueText(ds: DataSet, key: string, el: Element, vr: string, encoding: string): string {
  if (key === 'x7fe00010') {
    return el.encapsulatedPixelData ? `<encapsulated, ${el.fragments?.length ?? 0} fragment(s)>` : `<${el.length} bytes>`;
  }
  if (el.dataOffset + el.length > ds.byteArray.length) return '<value runs past the end of the file>';
  if (TEXT_VRS.has(vr)) {
    const raw = ds.byteArray.subarray(el.dataOffset, el.dataOffset + Math.min(el.length, MAX_VALUE_CHARS * 4));
    // Control characters (other than tab/newline) print as '?' so a corrupt value cannot garble the browser.
    const s = printable(decodeText(raw, encoding));
    return s.length > MAX_VALUE_CHARS ? `${s.slice(0, MAX_VALUE_CHARS)}…` : s;
  }
  if (STRING_VRS.has(vr)) {
    const raw = ds.byteArray.subarray(el.dataOffset, el.dataOffset + Math.min(el.length, MAX_VALUE_CHARS * 2));
    let s = '';
    for (let i = 0; i < raw.length; i++) {
      const b = raw[i]!;
      // Control bytes (other than tab/newline) print as '?' so a corrupt value cannot garble the browser.
      s += b === 0 ? ' ' : b < 32 && b !== 9 && b !== 10 && b !== 13 ? '?' : String.fromCharCode(b);
    }
    s = s.trimEnd();
    return s.length > MAX_VALUE_CHARS ? `${s.slice(0, MAX_VALUE_CHARS)}…` : s;
  }
  switch (vr) {
    case 'US': return numbers(ds, el, 2, (i) => ds.uint16(key, i));
    case 'SS': return numbers(ds, el, 2, (i) => ds.int16(key, i));
    case 'UL': return numbers(ds, el, 4, (i) => ds.uint32(key, i));
    case 'SL': return numbers(ds, el, 4, (i) => ds.int32(key, i));
    case 'FL': return numbers(ds, el, 4, (i) => ds.float(key, i));
    case 'FD': return numbers(ds, el, 8, (i) => ds.double(key, i));
    case 'AT': return el.length >= 4 ? (ds.attributeTag(key) ?? '') : '';
    default: return `<${el.length} bytes>`;
  }
}

/** Builds the tree; with `hideIdentifying`, values of patient-identifying attributes read "(hidden)". */
export function buildTagTree(ds: DataSet, hideIdentifying: boolean): TagNode[] {
  let budget = MAX_NODES;
  const walk = (set: DataSet, depth: number, inherited: string): TagNode[] => {
    const encoding = set.elements.x00080005 ? encodingOf(set) : inherited;
    const out: TagNode[] = [];
    for (const key of Object.keys(set.elements).sort()) {
      if (budget-- <= 0) break;
      const el = set.elements[key]!;
      const dict = dictionaryEntry(key);
      const vr = el.vr ?? (el.items ? 'SQ' : (dict?.vr ?? 'UN'));
      const node: TagNode = { tag: formatTag(key), vr, value: '' };
      if (dict) node.name = dict.name;
      if (hideIdentifying && isIdentifying(key)) {
        node.value = HIDDEN;
      } else if (el.items) {
        node.value = `${el.items.length} item(s)`;
        node.items = depth < MAX_DEPTH ? el.items.map((item) => (item.dataSet ? walk(item.dataSet, depth + 1, encoding) : [])) : [];
      } else {
        node.value = valueText(set, key, el, vr, encoding);
      }
      out.push(node);
    }
    return out;
  };
  return walk(ds, 0, encodingOf(ds));
}
