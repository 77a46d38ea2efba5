/**
 * One node of a serialized model replaced without re-encoding the model: the result is the file's
 * own bytes in pieces around the new node entries (the weights are not copied), with the lengths
 * that enclose them re-encoded, and a message appended that adds fields (a protobuf parser merges
 * concatenated messages; repeated fields such as graph inputs and outputs append). For a model of
 * hundreds of MB this saves a full serialized copy in memory and the CPU to encode it.
 */
import { onnx, serializeModel, type ModelProto, type NodeProto } from './model';

const GRAPH_FIELD = 7; // ModelProto.graph
const NODE_FIELD = 1; // GraphProto.node

function readVarint(b: Uint8Array, at: number): [number, number] {
  let v = 0;
  let scale = 1;
  for (let i = at; i < b.length && i < at + 10; i++) {
    v += (b[i] & 0x7f) * scale;
    if (b[i] < 0x80) return [v, i + 1];
    scale *= 128;
  }
  throw new Error('a varint runs past the end of the bytes');
}

function varint(n: number): Uint8Array {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Uint8Array.from(out);
}

interface Field {
  field: number;
  /** Where the tag starts, where the value starts (after a length, for length-delimited fields), where it ends. */
  start: number;
  value: number;
  end: number;
}

function fields(b: Uint8Array, from: number, to: number): Field[] {
  const out: Field[] = [];
  let at = from;
  while (at < to) {
    const start = at;
    const [tag, afterTag] = readVarint(b, at);
    const wire = tag % 8;
    let value = afterTag;
    if (wire === 0) at = readVarint(b, afterTag)[1];
    else if (wire === 1) at = afterTag + 8;
    else if (wire === 5) at = afterTag + 4;
    else if (wire === 2) {
      const [len, next] = readVarint(b, afterTag);
      value = next;
      at = next + len;
    } else throw new Error(`unsupported wire type ${wire}`);
    if (at > to) throw new Error('a field runs past the end of its message');
    out.push({ field: Math.floor(tag / 8), start, value, end: at });
  }
  return out;
}

/**
 * The model's bytes with its `index`-th graph node replaced by `nodes`, then `merge` appended; null
 * where the bytes are not laid out plainly (no graph, several graph fields, fewer nodes).
 */
export function replaceNodeInBytes(bytes: Uint8Array, index: number, nodes: NodeProto[], merge: ModelProto): Uint8Array[] | null {
  let top: Field[];
  try {
    top = fields(bytes, 0, bytes.length);
  } catch {
    return null;
  }
  const graphs = top.filter((f) => f.field === GRAPH_FIELD);
  if (graphs.length !== 1) return null;
  const g = graphs[0];
  let inner: Field[];
  try {
    inner = fields(bytes, g.value, g.end);
  } catch {
    return null;
  }
  const node = inner.filter((f) => f.field === NODE_FIELD)[index];
  if (!node) return null;
  const entries = nodes.map((n) => {
    const body = onnx.NodeProto.encode(n).finish();
    return [varint((NODE_FIELD << 3) | 2), varint(body.length), body];
  }).flat();
  const added = entries.reduce((s, e) => s + e.length, 0) - (node.end - node.start);
  const graphTag = varint((GRAPH_FIELD << 3) | 2);
  return [
    bytes.subarray(0, g.start),
    graphTag,
    varint(g.end - g.value + added),
    bytes.subarray(g.value, node.start),
    ...entries,
    bytes.subarray(node.end, g.end),
    bytes.subarray(g.end),
    serializeModel(merge),
  ];
}
