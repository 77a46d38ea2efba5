/**
 * A minimal Part 10 writer (Explicit VR Little Endian data set, native or encapsulated Pixel
 * Data). It exists to hand single frames to DCMTK and to build test images; it is not a
 * general DICOM writer.
 */
export type ElementValue = string | Uint8Array | { us: number[] } | { ul: number[] } | { ss: number[] } | { items: WriteElement[][] };

export interface WriteElement {
  tag: number; // 0xGGGGEEEE
  vr: string;
  value: ElementValue;
}

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

class ByteWriter {
  private chunks: Uint8Array[] = [];
  length = 0;
  bytes(b: Uint8Array): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  u16(v: number): void {
    this.bytes(Uint8Array.of(v & 0xff, (v >> 8) & 0xff));
  }
  u32(v: number): void {
    this.bytes(Uint8Array.of(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff));
  }
  ascii(s: string): void {
    this.bytes(Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff));
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

function valueBytes(vr: string, value: ElementValue): Uint8Array {
  let bytes: Uint8Array;
  if (typeof value === 'string') {
    const pad = vr === 'UI' ? '\0' : ' ';
    const s = value.length % 2 ? value + pad : value;
    bytes = Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
  } else if (value instanceof Uint8Array) {
    bytes = value;
  } else if ('items' in value) {
    // Defined-length sequence: each item is an (FFFE,E000) item holding its elements.
    const w = new ByteWriter();
    for (const item of value.items) {
      const body = new ByteWriter();
      for (const e of [...item].sort((a, b) => a.tag - b.tag)) element(body, e.tag, e.vr, valueBytes(e.vr, e.value));
      w.u16(0xfffe);
      w.u16(0xe000);
      w.u32(body.length);
      w.bytes(body.concat());
    }
    bytes = w.concat();
  } else if ('us' in value || 'ss' in value) {
    const list = 'us' in value ? value.us : value.ss;
    bytes = new Uint8Array(list.length * 2);
    const view = new DataView(bytes.buffer);
    list.forEach((v, i) => view.setUint16(2 * i, v & 0xffff, true));
  } else {
    bytes = new Uint8Array(value.ul.length * 4);
    const view = new DataView(bytes.buffer);
    value.ul.forEach((v, i) => view.setUint32(4 * i, v >>> 0, true));
  }
  if (bytes.length % 2) {
    const padded = new Uint8Array(bytes.length + 1);
    padded.set(bytes);
    return padded;
  }
  return bytes;
}

function element(w: ByteWriter, tag: number, vr: string, value: Uint8Array): void {
  w.u16(tag >>> 16);
  w.u16(tag & 0xffff);
  w.ascii(vr);
  if (LONG_VRS.has(vr)) {
    w.u16(0);
    w.u32(value.length);
  } else w.u16(value.length);
  w.bytes(value);
}

export interface WriteOptions {
  transferSyntax: string;
  elements: WriteElement[];
  /** Native pixel bytes (written as OW/OB), or compressed frames (one fragment each). */
  pixels: { native: Uint8Array; vr?: 'OB' | 'OW' } | { fragments: Uint8Array[] };
}

/**
 * The preamble, "DICM" and the File Meta Information group (PS3.10 7.1) of a Part 10 file; the
 * data set in `transferSyntax` follows it. Implementation fields are written when given.
 */
export function fileMetaHeader(meta: { sopClassUid: string; sopInstanceUid: string; transferSyntax: string; implementationClassUid?: string; implementationVersion?: string }): Uint8Array {
  const group = new ByteWriter();
  element(group, 0x00020001, 'OB', Uint8Array.of(0, 1));
  element(group, 0x00020002, 'UI', valueBytes('UI', meta.sopClassUid));
  element(group, 0x00020003, 'UI', valueBytes('UI', meta.sopInstanceUid));
  element(group, 0x00020010, 'UI', valueBytes('UI', meta.transferSyntax));
  if (meta.implementationClassUid) element(group, 0x00020012, 'UI', valueBytes('UI', meta.implementationClassUid));
  if (meta.implementationVersion) element(group, 0x00020013, 'SH', valueBytes('SH', meta.implementationVersion));
  const out = new ByteWriter();
  out.bytes(new Uint8Array(128));
  out.ascii('DICM');
  element(out, 0x00020000, 'UL', Uint8Array.of(group.length & 0xff, (group.length >> 8) & 0xff, (group.length >> 16) & 0xff, 0));
  out.bytes(group.concat());
  return out.concat();
}

export function writeDicom(options: WriteOptions): Uint8Array {
  const sop = options.elements.find((e) => e.tag === 0x00080016)?.value;
  const inst = options.elements.find((e) => e.tag === 0x00080018)?.value;
  const out = new ByteWriter();
  out.bytes(
    fileMetaHeader({
      sopClassUid: typeof sop === 'string' ? sop : '1.2.840.10008.5.1.4.1.1.7',
      sopInstanceUid: typeof inst === 'string' ? inst : '2.25.1',
      transferSyntax: options.transferSyntax,
    }),
  );
  for (const e of [...options.elements].sort((a, b) => a.tag - b.tag)) element(out, e.tag, e.vr, valueBytes(e.vr, e.value));
  if ('native' in options.pixels) {
    element(out, 0x7fe00010, options.pixels.vr ?? 'OW', valueBytes('OB', options.pixels.native));
  } else {
    out.u16(0x7fe0);
    out.u16(0x0010);
    out.ascii('OB');
    out.u16(0);
    out.u32(0xffffffff);
    out.u16(0xfffe);
    out.u16(0xe000);
    out.u32(0); // empty Basic Offset Table
    for (const f of options.pixels.fragments) {
      const bytes = valueBytes('OB', f);
      out.u16(0xfffe);
      out.u16(0xe000);
      out.u32(bytes.length);
      out.bytes(bytes);
    }
    out.u16(0xfffe);
    out.u16(0xe0dd);
    out.u32(0);
  }
  return out.concat();
}
