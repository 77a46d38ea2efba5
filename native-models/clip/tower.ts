/**
 * One tower of a bundle (onnx/vision_model.onnx or onnx/text_model.onnx): its inputs, the hidden
 * state entering every layer (nib.json's names, else found by structure: residual.ts), its
 * pooling, a session with those tensors exposed, and the feeds every run of it or of a graph cut
 * from it takes (the text model's attention mask and token types included).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { onnx } from 'onnx-proto';
import { createSession, exposeTensors, parseModel, serializeModel, type ModelProto } from './engine';
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
  /** The model as exported (tails are cut from it). */
  model: ModelProto;
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

export async function openTower(kind: TowerKind, dir: string, nib: Record<string, unknown> | null, prefer: Prefer, configLayers: number | null, warnings: string[], modelType: string | null = null): Promise<{ tower: OpenedTower; provider: string; fallbackReason: string | null }> {
  const file = join(dir, 'onnx', `${kind}_model.onnx`);
  let model: ModelProto;
  try {
    model = parseModel(readFileSync(file), file);
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
  const exposed = exposeTensors(model, layerInputs);
  let info;
  try {
    info = await createSession(serializeModel(exposed), { prefer });
  } catch (e) {
    throw new BundleError(`${file}: onnxruntime cannot load it: ${(e as Error).message}`);
  }
  const idsElem = realInputs.find((i) => i.name === inputName)?.type?.tensorType?.elemType;
  const ones = (ids: readonly number[]): number[] => ids.map(() => 1);
  return {
    tower: {
      kind, file, model, session: info.session, inputName, outputName, layerInputs, cuts,
      pooling: detectPooling(model, layerInputs[layerInputs.length - 1]),
      layers: layerInputs.length - 1, extraInputs, idsType: idsElem === 6 ? 'int32' : 'int64', mask: ones,
    },
    provider: info.provider,
    fallbackReason: info.fallbackReason,
  };
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
