// Reading and writing ONNX ModelProto files, including tensors stored as external data.
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, normalize } from 'node:path';
import onnxProto from 'onnx-proto';
import type { onnx as OnnxNs } from 'onnx-proto';
import { UserInputError } from '../errors';

export const { onnx } = onnxProto;
export type ModelProto = OnnxNs.IModelProto;
export type GraphProto = OnnxNs.IGraphProto;
export type NodeProto = OnnxNs.INodeProto;
export type TensorProto = OnnxNs.ITensorProto;
export type ValueInfoProto = OnnxNs.IValueInfoProto;
export type AttributeProto = OnnxNs.IAttributeProto;

/** Any problem with an ONNX model: the message names the file, tensor or node involved. */
export class OnnxError extends UserInputError {}

const EXTERNAL = 1;

const labels = new WeakMap<object, string>();

/** Remembers where a model came from, so later errors can name the file. */
export function setModelLabel(model: ModelProto, label: string): void {
  labels.set(model, label);
}

export function modelLabel(model: ModelProto): string {
  return labels.get(model) ?? `model "${model.graph?.name || 'unnamed'}"`;
}

/** protobufjs gives 64-bit fields as Long objects; our models never need more than 53 bits. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof v === 'object' && 'toNumber' in v && typeof (v as { toNumber: unknown }).toNumber === 'function') {
    return (v as { toNumber(): number }).toNumber();
  }
  if (v === null || v === undefined) return 0;
  throw new OnnxError(`expected an integer, got ${String(v)}`);
}

export function parseModel(bytes: Uint8Array, label: string): ModelProto {
  if (bytes.byteLength === 0) throw new OnnxError(`${label}: the file is empty, not an ONNX model`);
  let model: OnnxNs.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new OnnxError(`${label}: not a readable ONNX model (truncated or not ONNX protobuf: ${why})`);
  }
  const g = model.graph;
  if (!g || !model.opsetImport || model.opsetImport.length === 0 || toNumber(model.irVersion) <= 0) {
    throw new OnnxError(`${label}: not an ONNX model (no graph, IR version or opset import found)`);
  }
  if ((g.node?.length ?? 0) === 0 && (g.output?.length ?? 0) === 0) {
    throw new OnnxError(`${label}: the ONNX graph is empty (no nodes, no outputs)`);
  }
  for (const n of g.node ?? []) {
    if (!n.opType) throw new OnnxError(`${label}: node "${n.name ?? '?'}" has no op type; the file is damaged or not ONNX`);
  }
  setModelLabel(model, label);
  return model;
}

/** Reads a model; external-data tensors are loaded from files next to it. */
export function readModel(file: string, opts: { loadExternalData?: boolean } = {}): ModelProto {
  if (!existsSync(file)) throw new OnnxError(`${file}: no such ONNX model file`);
  if (statSync(file).isDirectory()) throw new OnnxError(`${file}: is a folder, expected an ONNX model file`);
  const model = parseModel(readFileSync(file), file);
  if (opts.loadExternalData !== false) loadExternalData(model, dirname(file), file);
  return model;
}

function externalInfo(t: TensorProto): { location: string; offset: number; length: number | null } {
  const kv = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = kv.get('location');
  if (!location) throw new OnnxError(`tensor "${t.name}" is marked as external data but names no location`);
  return { location, offset: Number(kv.get('offset') ?? 0), length: kv.has('length') ? Number(kv.get('length')) : null };
}

export function loadExternalData(model: ModelProto, baseDir: string, label: string): void {
  const tensors = [...(model.graph?.initializer ?? [])];
  for (const n of model.graph?.node ?? []) for (const a of n.attribute ?? []) if (a.t) tensors.push(a.t);
  const fds = new Map<string, number>();
  try {
    for (const t of tensors) {
      if (t.dataLocation !== EXTERNAL) continue;
      const info = externalInfo(t);
      if (isAbsolute(info.location) || normalize(info.location).startsWith('..')) {
        throw new OnnxError(`${label}: tensor "${t.name}" points outside the model folder (${info.location})`);
      }
      const path = join(baseDir, info.location);
      if (!existsSync(path)) throw new OnnxError(`${label}: external data file ${path} for tensor "${t.name}" is missing`);
      const size = statSync(path).size;
      const length = info.length ?? size - info.offset;
      if (info.offset + length > size) {
        throw new OnnxError(`${label}: external data for tensor "${t.name}" runs past the end of ${path} (truncated file?)`);
      }
      let fd = fds.get(path);
      if (fd === undefined) {
        fd = openSync(path, 'r');
        fds.set(path, fd);
      }
      const buf = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, buf, done, Math.min(length - done, 1 << 30), info.offset + done);
        if (n <= 0) throw new OnnxError(`${label}: short read of external data for tensor "${t.name}" from ${path}`);
        done += n;
      }
      t.rawData = buf;
      t.dataLocation = 0;
      t.externalData = [];
    }
  } finally {
    for (const fd of fds.values()) closeSync(fd);
  }
}

export function serializeModel(model: ModelProto): Uint8Array {
  try {
    return onnx.ModelProto.encode(model).finish();
  } catch (err) {
    throw new OnnxError(`cannot serialize the ONNX model: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Writes a model. Initializers of at least `externalThreshold` bytes (default: only when the model would
 * exceed protobuf's 2 GB limit, 1 KiB) go to `<file name>.data` next to it, as ONNX external data.
 */
export function writeModel(file: string, model: ModelProto, opts: { external?: boolean; externalThreshold?: number } = {}): void {
  const inits = model.graph?.initializer ?? [];
  const total = inits.reduce((s, t) => s + (t.rawData?.byteLength ?? 0), 0);
  const external = opts.external ?? total > 1.8e9;
  if (!external) {
    writeFileSync(file, serializeModel(model));
    return;
  }
  const threshold = opts.externalThreshold ?? 1024;
  const dataName = `${basename(file)}.data`;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const copy: ModelProto = { ...model, graph: { ...model.graph, initializer: [] } };
  for (const t of inits) {
    const raw = t.rawData;
    if (!raw || raw.byteLength < threshold) {
      copy.graph!.initializer!.push(t);
      continue;
    }
    const pad = (64 - (offset % 64)) % 64;
    if (pad) chunks.push(new Uint8Array(pad));
    offset += pad;
    chunks.push(raw);
    copy.graph!.initializer!.push({
      ...t,
      rawData: null,
      dataLocation: EXTERNAL,
      externalData: [
        { key: 'location', value: dataName },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(raw.byteLength) },
      ],
    });
    offset += raw.byteLength;
  }
  const fd = openSync(join(dirname(file), dataName), 'w');
  try {
    for (const c of chunks) writeFileSync(fd, c);
  } finally {
    closeSync(fd);
  }
  writeFileSync(file, serializeModel(copy));
}

/** Deep copy through protobuf (keeps Long/typed-array fields consistent). */
export function cloneModel(model: ModelProto): ModelProto {
  return onnx.ModelProto.decode(serializeModel(model));
}

export function opsetVersion(model: ModelProto): number {
  const def = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  return def ? toNumber(def.version) : 0;
}

/** Protobuf messages cannot exceed 2 GB; larger models must go to onnxruntime as a file with external data. */
export const MAX_INLINE_BYTES = 1.8e9;

export interface ModelSource {
  /** Bytes for onnxruntime, or the path of a temporary model file with external data next to it. */
  source: Uint8Array | string;
  /** Removes the temporary files (no-op for bytes). */
  cleanup(): void;
}

/** What to hand to onnxruntime for a model: its bytes, or (over 2 GB) a temporary file with external data. */
export function modelSource(model: ModelProto, opts: { maxInlineBytes?: number } = {}): ModelSource {
  const inits = model.graph?.initializer ?? [];
  const total = inits.reduce((s, t) => s + (t.rawData?.byteLength ?? 0), 0);
  if (total <= (opts.maxInlineBytes ?? MAX_INLINE_BYTES)) return { source: serializeModel(model), cleanup: () => undefined };
  if (inits.some((t) => t.dataLocation === EXTERNAL)) {
    throw new OnnxError(`${modelLabel(model)}: read the model with its external data loaded to run it from memory`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'candor-model-'));
  const file = join(dir, 'model.onnx');
  writeModel(file, model, { external: true });
  return { source: file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
