// Small helpers for TensorProto / AttributeProto values.
import { OnnxError, toNumber, type AttributeProto, type NodeProto, type TensorProto } from './model';

export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11 } as const;
export const AT = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

export function isFloatType(dt: number): boolean {
  return dt === DT.FLOAT || dt === DT.DOUBLE || dt === DT.FLOAT16 || dt === 16;
}

/** onnxruntime-node's type names mapped to ONNX data types. */
export function ortTypeToOnnx(t: string): number {
  const map: Record<string, number> = {
    float32: DT.FLOAT, float64: DT.DOUBLE, float16: DT.FLOAT16, int64: DT.INT64, int32: DT.INT32,
    int8: DT.INT8, uint8: DT.UINT8, bool: DT.BOOL,
  };
  return map[t] ?? 0;
}

export function tensorDims(t: TensorProto): number[] {
  return (t.dims ?? []).map(toNumber);
}

/** A float tensor's values as a Float32Array (raw data read in place of a copy through numbers). */
export function floatValues(t: TensorProto): Float32Array {
  const raw = t.rawData;
  if ((t.dataType ?? 0) === DT.FLOAT && raw && raw.byteLength > 0) {
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  }
  return Float32Array.from(tensorValues(t));
}

/** Reads a (small) tensor's values as numbers, from raw data or the typed fields. */
export function tensorValues(t: TensorProto): number[] {
  const dt = t.dataType ?? 0;
  const raw = t.rawData;
  if (raw && raw.byteLength > 0) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out: number[] = [];
    const step = dt === DT.INT64 || dt === DT.DOUBLE ? 8 : dt === DT.FLOAT || dt === DT.INT32 ? 4 : 1;
    for (let o = 0; o + step <= raw.byteLength; o += step) {
      if (dt === DT.INT64) out.push(Number(view.getBigInt64(o, true)));
      else if (dt === DT.DOUBLE) out.push(view.getFloat64(o, true));
      else if (dt === DT.FLOAT) out.push(view.getFloat32(o, true));
      else if (dt === DT.INT32) out.push(view.getInt32(o, true));
      else if (dt === DT.INT8) out.push(view.getInt8(o));
      else if (dt === DT.UINT8 || dt === DT.BOOL) out.push(view.getUint8(o));
      else throw new OnnxError(`tensor "${t.name}": cannot read data type ${dt}`);
    }
    return out;
  }
  if (dt === DT.INT64) return (t.int64Data ?? []).map(toNumber);
  if (dt === DT.DOUBLE) return [...(t.doubleData ?? [])];
  if (dt === DT.FLOAT) return [...(t.floatData ?? [])];
  return (t.int32Data ?? []).map(toNumber);
}

export function makeTensor(name: string, dataType: number, dims: number[], values: ArrayLike<number>): TensorProto {
  const n = values.length;
  let bytes: Uint8Array;
  if (dataType === DT.FLOAT) bytes = new Uint8Array(Float32Array.from(values).buffer);
  else if (dataType === DT.DOUBLE) bytes = new Uint8Array(Float64Array.from(values).buffer);
  else if (dataType === DT.INT64) bytes = new Uint8Array(BigInt64Array.from(Array.from(values, (v) => BigInt(Math.trunc(v)))).buffer);
  else if (dataType === DT.INT32) bytes = new Uint8Array(Int32Array.from(values).buffer);
  else if (dataType === DT.BOOL || dataType === DT.UINT8) bytes = Uint8Array.from(values);
  else if (dataType === DT.INT8) bytes = new Uint8Array(Int8Array.from(values).buffer);
  else throw new OnnxError(`makeTensor: unsupported data type ${dataType} for "${name}"`);
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== n) throw new OnnxError(`makeTensor: "${name}" has ${n} values for shape [${dims.join(', ')}]`);
  return { name, dataType, dims, rawData: bytes };
}

export function getAttr(node: NodeProto, name: string): AttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

export function attrInt(node: NodeProto, name: string, dflt: number): number {
  const a = getAttr(node, name);
  return a ? toNumber(a.i) : dflt;
}

export function attrFloat(node: NodeProto, name: string, dflt: number): number {
  const a = getAttr(node, name);
  return a ? (a.f ?? dflt) : dflt;
}

export function attrInts(node: NodeProto, name: string): number[] | null {
  const a = getAttr(node, name);
  return a ? (a.ints ?? []).map(toNumber) : null;
}

export function attrString(node: NodeProto, name: string, dflt: string): string {
  const a = getAttr(node, name);
  return a?.s ? Buffer.from(a.s).toString('utf8') : dflt;
}

export type AttrValue = number | number[] | string | TensorProto | { float: number } | { floats: number[] };

/** Integers become INT/INTS; wrap floats as {float} / {floats}. */
export function makeAttr(name: string, v: AttrValue): AttributeProto {
  if (typeof v === 'number') return { name, type: AT.INT, i: v };
  if (typeof v === 'string') return { name, type: AT.STRING, s: Buffer.from(v, 'utf8') };
  if (Array.isArray(v)) return { name, type: AT.INTS, ints: v };
  if ('float' in v) return { name, type: AT.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: AT.FLOATS, floats: v.floats };
  return { name, type: AT.TENSOR, t: v };
}
