/**
 * One tower of a bundle (onnx/vision_model.onnx or onnx/text_model.onnx): its inputs, the hidden
 * state entering every layer (nib.json's names, else found by structure: residual.ts), its
 * pooling, a session with those tensors exposed, and the feeds every run of it or of a graph cut
 * from it takes (the text model's attention mask and token types included).
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { onnx } from 'onnx-proto';
import { cloneModel, createSession, exposeTensors, externalizeWeights, parseModel, serializeModel, weightsOnDemand, type ModelProto, type NodeProto, type ValueInfoProto } from './engine';
import { releaseGarbage } from '../runtime/memory';
import { removeScratch, writeScratchFiles } from '../runtime/scratch-dir';
import { WeightsFile } from '../runtime/weights-file';
import { hashWhileFilling, readFileOffThread, sharedBytes, type Filling } from '../runtime/hash-worker';
import { detectPooling, type Pooling } from './pooling';
import { discoverResidualStream, ResidualDiscoveryError, type BlockLayout } from './residual';
import { UserInputError } from '../errors';

export class BundleError extends UserInputError {}

export type Prefer = 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml';
export type TowerKind = 'vision' | 'text';

/** Inputs a text model may take besides input_ids; each is fed from the tokenizer's output. */
export const TEXT_EXTRA_INPUTS = ['attention_mask', 'token_type_ids'] as const;

export interface Tower {
  kind: TowerKind;
  file: string;
  /**
   * The model as exported (tails are cut from it). Its weights are not held in JS: they are read
   * from the tower's private weights file as a derivation uses them (ModelCopy).
   */
  readonly model: ModelProto;
  /** Closes that file, once the session is released: `model` is no longer readable. */
  closeModel(): void;
  /** Session over the model with every layer-input tensor exposed as an extra output. */
  session: ort.InferenceSession;
  inputName: string;
  outputName: string;
  /** [i] = hidden state entering layer i; [layers] = encoder output. */
  layerInputs: string[];
  /**
   * Where layerInputs came from, and the block layout found by structure (for nib.json: null where
   * structure finds none; `matchesStructure` says whether nib.json names the tensors structure finds).
   */
  cuts: { source: 'nib.json'; layout: BlockLayout | null; matchesStructure: boolean } | { source: 'structure'; layout: BlockLayout };
  pooling: Pooling;
  layers: number;
  width: number;
  /** Token count of the hidden state (vision: fixed; text: of the probe run). */
  tokens: number;
  /** Inputs besides inputName (text: attention_mask, token_type_ids), fed by textFeeds. */
  extraInputs: string[];
  idsType: 'int64' | 'int32';
  /** The attention mask for ids (0 on the tokenizer's padding); vision: unused. */
  mask: (ids: readonly number[]) => number[];
}

export type OpenedTower = Omit<Tower, 'width' | 'tokens'>;

function tensorNames(model: ModelProto): Set<string> {
  const g = model.graph as onnx.IGraphProto;
  const s = new Set<string>();
  for (const i of g.input ?? []) if (i.name) s.add(i.name);
  for (const n of g.node ?? []) for (const o of n.output ?? []) if (o) s.add(o);
  return s;
}

function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function layerOverride(nib: Record<string, unknown> | null, key: string, file: string, names: Set<string>, model: string): string[] | null {
  if (!nib || nib[key] === undefined) return null;
  const m = obj(nib[key]);
  const keys = Object.keys(m).map(Number).filter((k) => Number.isInteger(k) && k >= 0).sort((a, b) => a - b);
  if (keys.length === 0 || keys[0] !== 0 || keys.some((k, i) => k !== i)) throw new BundleError(`${file}: "${key}" must map layer indices 0, 1, 2, … to tensor names`);
  return keys.map((k) => {
    const name = m[String(k)];
    if (typeof name !== 'string' || !names.has(name)) throw new BundleError(`${file}: "${key}"["${k}"] = ${JSON.stringify(name)} is not a tensor of ${model}`);
    return name;
  });
}

/**
 * The output that is the tower's embedding: image_embeds / text_embeds, or what nib.json names
 * ("vision_output" / "text_output"); a SigLIP export (transformers.js --split_modalities) calls it
 * pooler_output, which in SigLIP is the embedding itself (the attention-pooling head's, the text
 * head's), unlike CLIP's pooler_output (before the projection).
 */
function embeddingOutput(kind: TowerKind, outputs: string[], nib: Record<string, unknown> | null, modelType: string | null, nibFile: string, file: string): string {
  const named = nib?.[`${kind}_output`];
  if (named !== undefined) {
    if (typeof named !== 'string' || !outputs.includes(named)) throw new BundleError(`${nibFile}: "${kind}_output" = ${JSON.stringify(named)} is not an output of ${file} (outputs: ${outputs.join(', ')})`);
    return named;
  }
  const standard = kind === 'vision' ? 'image_embeds' : 'text_embeds';
  if (outputs.includes(standard)) return standard;
  if (modelType === 'siglip' && outputs.includes('pooler_output')) return 'pooler_output';
  throw new BundleError(`${file}: expected an output named "${standard}" (found ${outputs.join(', ')}); name the embedding output in nib.json ("${kind}_output")`);
}

/**
 * The tower's model for derivations. Once the session exists, its graph with the weights read on
 * use from the private weights file onnxruntime maps (`readFrom`): the very bytes hashed at load,
 * read again from memory, only those a derivation takes (ViT-B/32's first NIB graph: no re-read and
 * re-hash of the file, 0.4 s, and 87 of its 352 MB held in JS instead of all). Where the tower was
 * loaded from bytes instead (no scratch folder), the parsed model, held only as long as something
 * derived from it is in use (a WeakRef): reading it afterwards parses the file again, refused if its
 * SHA-256 has changed.
 */
class ModelCopy {
  private strong: ModelProto | null;
  private weak: WeakRef<ModelProto> | null = null;
  private onDemand: { model: ModelProto; weights: WeightsFile } | null = null;

  /** The SHA-256 the file must still have when it is read again (known once its hash has finished). */
  sha256: string | null = null;

  constructor(
    private readonly file: string,
    model: ModelProto,
  ) {
    this.strong = model;
  }

  /** From here on the model's weights are read from `weights`, at the offsets `graph` (externalizeWeights' model) names. */
  readFrom(graph: ModelProto, weights: WeightsFile): void {
    this.onDemand = { model: weightsOnDemand(graph, (offset, length, name) => weights.read(offset, length, name)), weights };
    this.strong = null;
    this.weak = null;
  }

  get(): ModelProto {
    if (this.onDemand) return this.onDemand.model;
    const held = this.strong ?? this.weak?.deref();
    if (held) return held;
    const bytes = readFileSync(this.file);
    if (this.sha256 && createHash('sha256').update(bytes).digest('hex') !== this.sha256) {
      throw new BundleError(`${this.file}: the model file has changed since the bundle was loaded: load the bundle again`);
    }
    const fresh = parseModel(bytes, this.file);
    this.weak = new WeakRef(fresh);
    return fresh;
  }

  release(): void {
    if (this.strong) this.weak = new WeakRef(this.strong);
    this.strong = null;
  }

  close(): void {
    this.onDemand?.weights.close();
  }
}

/** A tower's file read once, and the SHA-256 of those bytes under way on a worker thread. */
export interface TowerFile {
  file: string;
  /** Null once openTower has let them go (the session is built from a file, not from these). */
  bytes: Buffer | null;
  size: number;
  sha256: Promise<string>;
}

/**
 * Reads a tower's file into shared memory, hashed there as it comes in: the hash recorded for the
 * bundle is of the very bytes parsed and loaded, read once, computed while they are read and parsed.
 */
export function readTowerFile(dir: string, kind: TowerKind): TowerFile {
  const file = join(dir, 'onnx', `${kind}_model.onnx`);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new BundleError(`${file}: not a readable ONNX model: ${(e as Error).message}`);
  }
  let hashing: Filling | null = null;
  try {
    const size = fstatSync(fd).size;
    const bytes = sharedBytes(size);
    hashing = hashWhileFilling(bytes);
    let at = 0;
    while (at < size) {
      const n = readSync(fd, bytes, at, Math.min(size - at, READ_CHUNK), at);
      if (n === 0) break;
      at += n;
      hashing.filled(at);
    }
    hashing.end(at);
    // Awaited later; a failure then is reported there, not as an unhandled rejection now.
    hashing.sha256.catch(() => undefined);
    return { file, bytes, size: at, sha256: hashing.sha256 };
  } catch (e) {
    if (hashing) {
      hashing.fail();
      hashing.sha256.catch(() => undefined);
    }
    throw new BundleError(`${file}: not a readable ONNX model: ${(e as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

/** A read's piece: small enough that the hash follows the read closely. */
const READ_CHUNK = 16 << 20;

/**
 * readTowerFile on a worker thread: the bundle reads (and hashes) the text tower there while
 * onnxruntime, which holds the main thread, builds the vision session (ViT-B/32: 0.15 s of the load
 * off its critical path). Its errors are readTowerFile's; where no worker starts, it is readTowerFile.
 */
export async function readTowerFileLater(dir: string, kind: TowerKind): Promise<TowerFile> {
  const file = join(dir, 'onnx', `${kind}_model.onnx`);
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new BundleError(`${file}: not a readable ONNX model: ${(e as Error).message}`);
  }
  const bytes = sharedBytes(size);
  const job = readFileOffThread(file, bytes, size);
  if (!job) return readTowerFile(dir, kind);
  job.sha256.catch(() => undefined);
  try {
    return { file, bytes, size: await job.read, sha256: job.sha256 };
  } catch (e) {
    throw new BundleError(`${file}: not a readable ONNX model: ${(e as Error).message}`);
  }
}

const TOWER_WEIGHTS = 'weights.bin';

/**
 * The tower as onnxruntime loads it: `names` exposed as extra outputs (and the text tower's
 * `token_scale`), its large weights in a file beside the graph (externalizeWeights: the weights are
 * views of the bytes read, written once, mapped by onnxruntime, never copied in memory), and the
 * model's own graph pointing into that file (a copy that holds none of the read bytes), for
 * derivations. Where no folder takes the files, the whole model as bytes (a copy of the weights:
 * the fallback only).
 */
function loadable(model: ModelProto, names: string[], edit: TokenScaleEdit | null): Inspected['graph'] {
  const split = externalizeWeights(model, TOWER_WEIGHTS);
  const exposed = (m: ModelProto): ModelProto => exposeTensors(edit ? applyTokenScale(m, edit) : m, names);
  const written = writeScratchFiles('candor-tower-', [
    { name: 'model.onnx', pieces: [{ at: 0, bytes: serializeModel(exposed(split.model)) }] },
    { name: TOWER_WEIGHTS, pieces: split.pieces },
  ]);
  return written ? { file: written.paths[0], dir: written.dir, weights: written.paths[1], model: cloneModel(split.model) } : { bytes: serializeModel(exposed(model)) };
}

/** What openTower reads from the file before any session exists: the tower without its session, and the graph to load. */
interface Inspected {
  tower: Omit<OpenedTower, 'session' | 'model' | 'closeModel'>;
  copy: ModelCopy;
  /**
   * The exposed graph in a private temporary file (removed once loaded), with the weights file and
   * the model's own graph pointing into it; or in memory where it could not be written.
   */
  graph: { file: string; dir: string; weights: string; model: ModelProto } | { bytes: Uint8Array };
}

function inspectTower(kind: TowerKind, dir: string, nib: Record<string, unknown> | null, configLayers: number | null, warnings: string[], modelType: string | null, read: TowerFile, look: ((model: ModelProto) => void) | undefined): Inspected {
  const file = read.file;
  if (!read.bytes) throw new Error(`${file}: the tower's bytes were already released`);
  let model: ModelProto;
  try {
    model = parseModel(read.bytes.subarray(0, read.size), file);
  } catch (e) {
    throw new BundleError(`${file}: not a readable ONNX model: ${(e as Error).message}`);
  }
  const g = model.graph;
  if (!g || !(g.node ?? []).length) throw new BundleError(`${file}: the ONNX model has no graph`);
  const inputName = kind === 'vision' ? 'pixel_values' : 'input_ids';
  const outputs = (g.output ?? []).map((o) => o.name as string);
  const outputName = embeddingOutput(kind, outputs, nib, modelType, join(dir, 'nib.json'), file);
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  const realInputs = (g.input ?? []).filter((i) => !inits.has(i.name));
  if (!realInputs.some((i) => i.name === inputName)) throw new BundleError(`${file}: expected an input named "${inputName}" (found ${realInputs.map((i) => i.name).join(', ') || 'none'})`);
  const extraInputs = realInputs.filter((i) => i.name !== inputName).map((i) => i.name as string);
  const allowed: readonly string[] = kind === 'text' ? TEXT_EXTRA_INPUTS : [];
  for (const x of extraInputs) {
    if (!allowed.includes(x)) throw new BundleError(`${file}: unexpected input "${x}" (the ${kind} model may take ${[inputName, ...allowed].join(', ')})`);
  }
  const names = tensorNames(model);
  const key = `${kind}_layer_input_tensors`;
  const named = layerOverride(nib, key, join(dir, 'nib.json'), names, file);
  let found: ReturnType<typeof discoverResidualStream> | null = null;
  let notFound: ResidualDiscoveryError | null = null;
  try {
    found = discoverResidualStream(g, file);
  } catch (e) {
    if (!(e instanceof ResidualDiscoveryError)) throw e;
    notFound = e;
  }
  let layerInputs: string[];
  let cuts: Tower['cuts'];
  if (named) {
    layerInputs = named;
    cuts = { source: 'nib.json', layout: found?.layout ?? null, matchesStructure: !!found && found.tensors.length === named.length && found.tensors.every((t, i) => t === named[i]) };
  } else {
    if (!found) throw new BundleError((notFound as ResidualDiscoveryError).message);
    layerInputs = found.tensors;
    cuts = { source: 'structure', layout: found.layout };
    if (configLayers !== null && layerInputs.length - 1 !== configLayers) warnings.push(`${kind} tower: found ${layerInputs.length - 1} encoder layers, config.json says ${configLayers}`);
  }
  const edit = kind === 'text' ? tokenScaleEdit(model, inputName) : null;
  const graph = loadable(model, layerInputs, edit);
  const idsElem = realInputs.find((i) => i.name === inputName)?.type?.tensorType?.elemType;
  const ones = (ids: readonly number[]): number[] => ids.map(() => 1);
  look?.(model);
  // Held weakly from here: a local holding the parsed model across openTower's awaits would keep
  // the file's bytes (which it points into) alive while the session is built.
  const copy = new ModelCopy(file, model);
  copy.release();
  return {
    tower: {
      kind, file, inputName, outputName, layerInputs, cuts,
      pooling: detectPooling(model, layerInputs[layerInputs.length - 1]),
      layers: layerInputs.length - 1, extraInputs, idsType: idsElem === 6 ? 'int32' : 'int64', mask: ones,
    },
    copy,
    graph,
  };
}

/**
 * Opens a tower from its file as read (readTowerFile): its structure (`look` sees the parsed model
 * while it is held), then its session. The file's hash is awaited before the session is made (it
 * ran meanwhile), so the bytes are not held while onnxruntime builds the session. The parsed model
 * and the graph's bytes are let go and collected before onnxruntime loads the graph, and
 * onnxruntime loads it from files, mapping the weights (`loadable`): it needs about half the peak
 * memory for a path as for the same bytes in memory (ViT-B/32 vision tower alone: 483 against 1012
 * MiB peak RSS, measured), so the weights are not held twice while the session is built.
 * `beforeSession` runs just before that (the bundle starts reading the next tower there).
 * `leftover`: the scratch folder where it could not be removed while mapped (Windows), for the
 * caller to remove once the session is released.
 */
export async function openTower(kind: TowerKind, dir: string, nib: Record<string, unknown> | null, session: { prefer: Prefer; prepack: boolean }, configLayers: number | null, warnings: string[], modelType: string | null, read: TowerFile, look?: (model: ModelProto) => void, beforeSession?: () => void): Promise<{ tower: OpenedTower; sha256: string; provider: string; fallbackReason: string | null; leftover: string | null }> {
  const { tower, copy, graph } = inspectTower(kind, dir, nib, configLayers, warnings, modelType, read, look);
  let sha256: string;
  try {
    sha256 = await read.sha256;
  } catch (e) {
    read.bytes = null;
    if ('dir' in graph) removeScratch(graph.dir);
    throw new BundleError(`${read.file}: cannot hash the model: ${(e as Error).message}`);
  }
  read.bytes = null;
  copy.sha256 = sha256;
  let info: Awaited<ReturnType<typeof createSession>> | undefined;
  let leftover: string | null = null;
  try {
    beforeSession?.();
    await releaseGarbage();
    info = await createSession('file' in graph ? graph.file : graph.bytes, session);
    if ('weights' in graph) copy.readFrom(graph.model, new WeightsFile(graph.weights, tower.file));
  } catch (e) {
    await info?.session.release();
    throw new BundleError(`${tower.file}: onnxruntime cannot load it: ${(e as Error).message}`);
  } finally {
    if ('dir' in graph && !removeScratch(graph.dir)) leftover = graph.dir;
  }
  return {
    tower: {
      ...tower,
      session: info.session,
      get model() {
        return copy.get();
      },
      closeModel: () => copy.close(),
    },
    sha256,
    provider: info.provider,
    fallbackReason: info.fallbackReason,
    leftover,
  };
}

/** The text tower's extra input: a factor per token on its embedding ([batch, T, 1]; 1 when not fed). */
export const TOKEN_SCALE = 'token_scale';

/** The token-embedding lookup: Gather(initializer, input_ids or Cast(input_ids)). */
function tokenEmbeddingNode(model: ModelProto, idsName: string): number {
  const g = model.graph;
  const nodes = g?.node ?? [];
  const inits = new Set((g?.initializer ?? []).map((t) => t.name));
  const aliases = new Set([idsName]);
  for (const n of nodes) if ((n.opType === 'Cast' || n.opType === 'Reshape') && n.input?.[0] === idsName && n.output?.[0]) aliases.add(n.output[0]);
  return nodes.findIndex((n) => n.opType === 'Gather' && inits.has(n.input?.[0] ?? '') && aliases.has(n.input?.[1] ?? ''));
}

/**
 * The text model gets its token embeddings multiplied by a `token_scale` input (the text metrics and
 * RISE scale them; every other run feeds ones, which leaves the numbers exactly as they were), so one
 * session serves both. What adds it: the lookup node's index, the nodes that replace it (the lookup,
 * then the Mul), the new input.
 */
interface TokenScaleEdit {
  index: number;
  nodes: NodeProto[];
  input: ValueInfoProto;
}

function tokenScaleEdit(model: ModelProto, idsName: string): TokenScaleEdit | null {
  const k = tokenEmbeddingNode(model, idsName);
  if (!model.graph || k < 0) return null;
  const gather = (model.graph.node ?? [])[k];
  const out = gather.output?.[0] as string;
  const raw = `${out}/unscaled`;
  return {
    index: k,
    nodes: [{ ...gather, output: [raw] }, { opType: 'Mul', name: 'candor/token_scale', input: [raw, TOKEN_SCALE], output: [out] }],
    input: { name: TOKEN_SCALE, type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch' }, { dimParam: 'sequence' }, { dimValue: 1 }] } } } },
  };
}

function applyTokenScale(model: ModelProto, edit: TokenScaleEdit): ModelProto {
  const g = model.graph ?? {};
  const nodes = [...(g.node ?? [])];
  nodes.splice(edit.index, 1, ...edit.nodes);
  return { ...model, graph: { ...g, node: nodes, input: [...(g.input ?? []), edit.input] } };
}

export function idsTensor(ids: readonly number[], type: 'int64' | 'int32', batch = 1): ort.Tensor {
  const n = ids.length;
  if (type === 'int32') {
    const a = new Int32Array(batch * n);
    for (let b = 0; b < batch; b++) for (let i = 0; i < n; i++) a[b * n + i] = ids[i];
    return new ort.Tensor('int32', a, [batch, n]);
  }
  const a = new BigInt64Array(batch * n);
  for (let b = 0; b < batch; b++) for (let i = 0; i < n; i++) a[b * n + i] = BigInt(ids[i]);
  return new ort.Tensor('int64', a, [batch, n]);
}

/**
 * What every run of a text graph takes, repeated over the batch: input_ids, and where the graph
 * has them, the attention mask (0 on padding) and token types (all 0: one segment).
 */
export function textFeeds(inputNames: readonly string[], tower: Pick<Tower, 'inputName' | 'idsType' | 'mask'>, ids: readonly number[], batch: number): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  if (inputNames.includes(tower.inputName)) feeds[tower.inputName] = idsTensor(ids, tower.idsType, batch);
  if (inputNames.includes('attention_mask')) feeds.attention_mask = idsTensor(tower.mask(ids), tower.idsType, batch);
  if (inputNames.includes('token_type_ids')) feeds.token_type_ids = idsTensor(ids.map(() => 0), tower.idsType, batch);
  if (inputNames.includes(TOKEN_SCALE)) feeds[TOKEN_SCALE] = new ort.Tensor('float32', new Float32Array(batch * ids.length).fill(1), [batch, ids.length, 1]);
  return feeds;
}

export async function runTower(tower: OpenedTower, pixels: ort.Tensor | null, fetch: string[], ids: readonly number[] | null): Promise<Record<string, ort.Tensor>> {
  const feeds: Record<string, ort.Tensor> = ids ? textFeeds(tower.session.inputNames, tower, ids, 1) : {};
  if (pixels) feeds[tower.inputName] = pixels;
  try {
    return (await tower.session.run(feeds, fetch)) as Record<string, ort.Tensor>;
  } catch (e) {
    throw new BundleError(`${tower.file}: onnxruntime failed: ${(e as Error).message}`);
  }
}
