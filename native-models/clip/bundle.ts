/**
 * A CLIP model bundle in the Hugging Face / transformers.js folder layout, loaded without
 * Python: config.json, preprocessor_config.json, tokenizer.json (+ tokenizer_config.json),
 * onnx/vision_model.onnx (pixel_values → image_embeds), onnx/text_model.onnx
 * (input_ids [+ attention_mask, token_type_ids] → text_embeds), optional nib.json (the explicit
 * override: the tensors entering each layer, the vision tower's non-patch token count).
 *
 * Loading finds the hidden state entering every encoder layer of both towers (pre- or post-LN,
 * by structure), which vision tokens are patches, and each tower's pooling, and validates the
 * shapes ([batch, tokens, width]) from one real onnxruntime run per tower.
 */
import type { GraphCache } from '../runtime/graph-cache';
import { removeScratch } from '../runtime/scratch-dir';
import { warmHashThreads } from '../runtime/hash-worker';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { onnx } from 'onnx-proto';
import type { ModelProto } from './engine';
import { patchLayout } from './patches';
import { parsePreprocessorConfig, PreprocessError, type PreprocessConfig } from './preprocess';
import { ClipTokenizer, TokenizerError, type TokenizerJsonShape, type Tokenized } from './tokenizer';
import { BundleError, idsTensor, openTower, readTowerFile, readTowerFileLater, runTower, textFeeds, type OpenedTower, type Prefer, type Tower, type TowerFile } from './tower';

export { BundleError, idsTensor, runTower, textFeeds, type Prefer, type Tower };

export interface Releasable { release(): Promise<void> }

export interface ClipBundle {
  dir: string;
  name: string;
  sha256: string;
  fileHashes: Record<string, string>;
  provider: string;
  fallbackReason: string | null;
  visionLayers: number;
  textLayers: number;
  /** Model input size (square side, pixels). */
  imageSize: number;
  patchSize: number;
  /** Patch grid [rows, cols]. */
  grid: [number, number];
  /** Whether the vision stream has a leading token that is not a patch (CLS). */
  visionCls: boolean;
  /** Leading vision tokens that are not patches (CLS + registers): 0 for SigLIP, 1 for CLIP. */
  visionPrefix: number;
  projectionDim: number;
  /** The image embedding of all-zero pixel values (the normalization mean: the metrics' blank image), from the load's probe. */
  zeroImageEmbeds: Float32Array;
  contextLength: number;
  preprocessor: PreprocessConfig;
  tokenizer: ClipTokenizer;
  vision: Tower;
  text: Tower;
  warnings: string[];
  /** Per-bundle cache of derived graphs (tail + gradient sessions), released by dispose(). */
  cache: Map<string, Promise<Releasable>>;
  /** Derived graphs on disk across processes (null: derived in every process). */
  graphCache: GraphCache | null;
  /**
   * Whether fp32 gradient graphs' sessions pre-pack their weights (runtime/session.ts `prepack`): true
   * where many explanations follow (the app, eval); false where a process explains once (the CLI's
   * explain), which then creates each graph faster and runs it a little slower (explain/graphs.ts).
   */
  gradientPrepack: boolean;
  tokenize(text: string): Tokenized;
  embedImages(pixelValues: Float32Array, batch: number): Promise<Float32Array>;
  embedTexts(texts: string[]): Promise<Float32Array>;
  runVision(pixelValues: Float32Array, batch: number, fetch: string[]): Promise<Record<string, ort.Tensor>>;
  runText(ids: number[], fetch: string[]): Promise<Record<string, ort.Tensor>>;
  dispose(): Promise<void>;
}

const REQUIRED = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'onnx/vision_model.onnx', 'onnx/text_model.onnx'];

function readJson(dir: string, rel: string): Record<string, unknown> {
  const file = join(dir, rel);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new BundleError(`${file}: cannot read: ${(e as Error).message}`);
  }
  try {
    const v: unknown = JSON.parse(text);
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new BundleError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
}

function sha256File(file: string): string {
  const h = createHash('sha256');
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 22);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/** A tower's session and its weights file, then the scratch folder it was loaded from where that could not go while mapped. */
async function releaseTower(opened: { tower: { session: ort.InferenceSession; closeModel(): void }; leftover: string | null }): Promise<void> {
  await opened.tower.session.release();
  opened.tower.closeModel();
  if (opened.leftover) removeScratch(opened.leftover);
}

/** Releases the derived graphs cached on the bundle (a later use makes them again: from the disk cache where there is one). */
export async function releaseDerived(bundle: Pick<ClipBundle, 'cache'>): Promise<void> {
  const held = [...bundle.cache.values()];
  bundle.cache.clear();
  for (const p of held) {
    try {
      await (await p).release();
    } catch {
      // a failed build has nothing to release
    }
  }
}

function int(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) ? v : null;
}

function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function staticDims(vi: onnx.IValueInfoProto | undefined): (number | null)[] | null {
  const dims = vi?.type?.tensorType?.shape?.dim;
  if (!dims) return null;
  return dims.map((d) => {
    const v = d.dimValue;
    if (v === undefined || v === null) return null;
    const n = typeof v === 'number' ? v : Number(v.toString());
    return n > 0 ? n : null;
  });
}

/** Rows of the token-embedding table: the initializer gathered by input_ids. */
function embeddingRows(model: ModelProto, idsName: string): number | null {
  const g = model.graph as onnx.IGraphProto;
  const inits = new Map((g.initializer ?? []).map((t) => [t.name ?? '', t]));
  const idsAliases = new Set([idsName]);
  for (const n of g.node ?? []) if ((n.opType === 'Cast' || n.opType === 'Reshape') && n.input?.[0] === idsName && n.output?.[0]) idsAliases.add(n.output[0]);
  for (const n of g.node ?? []) {
    if (n.opType !== 'Gather') continue;
    const [data, idx] = n.input ?? [];
    if (!idsAliases.has(idx) || !inits.has(data)) continue;
    const d = inits.get(data)?.dims?.[0];
    if (d !== undefined && d !== null) return Number(d.toString());
  }
  return null;
}

function tokenizerMaxId(json: TokenizerJsonShape & { model?: { vocab?: unknown } }): number {
  let mx = -1;
  const vocab = json.model?.vocab;
  if (vocab && typeof vocab === 'object' && !Array.isArray(vocab)) for (const v of Object.values(vocab)) if (typeof v === 'number' && v > mx) mx = v;
  if (Array.isArray(vocab)) mx = Math.max(mx, vocab.length - 1);
  for (const t of json.added_tokens ?? []) if (t.id > mx) mx = t.id;
  return mx;
}

function dims(t: ort.Tensor): number[] {
  return t.dims.map(Number);
}

/** Hugging Face configs carry the model's id in `_name_or_path`; a bare folder is named after itself. */
function bundleName(config: Record<string, unknown>, dir: string): string {
  const id = config._name_or_path;
  if (typeof id === 'string' && id.trim()) return id.trim().split(/[\\/]/).filter(Boolean).slice(-2).join('/');
  return basename(dir);
}

/** What a vision tower's probe run finds: its embedding size, its residual stream's shape, and the embedding of all-zero pixels. */
interface VisionProbe {
  projectionDim: number;
  tokens: number;
  width: number;
  zeroImageEmbeds: Float32Array;
}

/** The probe's findings as the graph cache keeps them (the embedding as base64 of its float32 bytes). */
interface StoredProbe {
  vision: Omit<VisionProbe, 'zeroImageEmbeds'> & { zeroImageEmbeds: string };
  text: { width: number };
}

/** Stored findings back, or null where they are not whole (then the probe runs again and stores them anew). */
function storedProbe(s: StoredProbe | null | undefined): { vision: VisionProbe; text: { width: number } } | null {
  const positive = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0;
  const v = s?.vision;
  if (!v || !positive(v.projectionDim) || !positive(v.tokens) || !positive(v.width) || !positive(s.text?.width) || typeof v.zeroImageEmbeds !== 'string') return null;
  const bytes = new Uint8Array(Buffer.from(v.zeroImageEmbeds, 'base64'));
  if (bytes.byteLength !== v.projectionDim * 4) return null;
  return { vision: { projectionDim: v.projectionDim, tokens: v.tokens, width: v.width, zeroImageEmbeds: new Float32Array(bytes.buffer) }, text: { width: s.text.width } };
}

/**
 * One real run of the vision tower: checks the shapes of its embedding and of the residual stream
 * entering every layer, on all-zero pixels at batch 2 (the batch must be free), and keeps the
 * embedding (the metrics' blank image).
 */
async function probeVision(tower: OpenedTower, imageSize: number): Promise<VisionProbe> {
  const pixels = new Float32Array(2 * 3 * imageSize * imageSize);
  const out = await runTower(tower, new ort.Tensor('float32', pixels, [2, 3, imageSize, imageSize]), [tower.outputName, ...tower.layerInputs], null);
  const emb = dims(out[tower.outputName]);
  const h = dims(out[tower.layerInputs[0]]);
  if (emb.length !== 2 || emb[0] !== 2) throw new BundleError(`${tower.file}: image_embeds has shape [${emb}], expected [batch, dim]`);
  for (const t of tower.layerInputs) {
    const d = dims(out[t]);
    if (d.length !== 3 || d[0] !== 2 || d[1] !== h[1] || d[2] !== h[2]) {
      throw new BundleError(`${tower.file}: residual tensor ${t} has shape [${d}], expected [batch, tokens, width] = [2, ${h[1]}, ${h[2]}]; name the right tensors in nib.json`);
    }
  }
  return { projectionDim: emb[1], tokens: h[1], width: h[2], zeroImageEmbeds: (out[tower.outputName].data as Float32Array).slice(0, emb[1]) };
}

/** One real run of the text tower on `ids`: the residual stream's shapes, and an embedding of the vision tower's size. */
async function probeText(tower: OpenedTower, ids: number[], projectionDim: number, dir: string): Promise<{ width: number }> {
  const out = await runTower(tower, null, [tower.outputName, ...tower.layerInputs], ids);
  const emb = dims(out[tower.outputName]);
  for (const t of tower.layerInputs) {
    const d = dims(out[t]);
    if (d.length !== 3 || d[0] !== 1 || d[1] !== ids.length) {
      throw new BundleError(`${tower.file}: residual tensor ${t} has shape [${d}], expected [batch, tokens, width] = [1, ${ids.length}, width]; name the right tensors in nib.json`);
    }
  }
  if (emb[1] !== projectionDim) throw new BundleError(`${dir}: image_embeds (${projectionDim}) and text_embeds (${emb[1]}) have different sizes`);
  return { width: dims(out[tower.layerInputs[0]])[2] };
}

/**
 * Loads a bundle. `towerPrepack` (default true): whether the towers' sessions pre-pack their weights
 * (runtime/session.ts `prepack`), as `gradientPrepack` decides for the gradient graphs: packing costs
 * ViT-B/32's vision tower 0.36 s of load (0.47 against 0.11 s, its weights mapped) and pays back
 * over many explanations (the app, eval), not over one CLI explanation, its metrics' 30 curve
 * images included (cli/commands/explain.ts `sessionPacking`).
 */
export async function loadClipBundle(dir: string, opts?: { prefer?: Prefer; graphCache?: GraphCache | null; gradientPrepack?: boolean; towerPrepack?: boolean }): Promise<ClipBundle> {
  dir = resolve(dir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new BundleError(`${dir}: model bundle folder not found`);
  const missing = REQUIRED.filter((f) => !existsSync(join(dir, f)));
  if (missing.length) throw new BundleError(`${dir}: not a complete CLIP bundle, missing ${missing.join(', ')}`);
  // The towers' hashes are asked for once each file is read: the thread starts meanwhile.
  warmHashThreads();
  const prefer = opts?.prefer ?? 'auto';
  const prepack = opts?.towerPrepack ?? true;
  const config = readJson(dir, 'config.json');
  const vcfg = obj(config.vision_config);
  const tcfg = obj(config.text_config);
  const prepJson = readJson(dir, 'preprocessor_config.json');
  const tokJson = readJson(dir, 'tokenizer.json') as TokenizerJsonShape & Record<string, unknown>;
  const tokCfg = existsSync(join(dir, 'tokenizer_config.json')) ? readJson(dir, 'tokenizer_config.json') : {};
  const nib = existsSync(join(dir, 'nib.json')) ? readJson(dir, 'nib.json') : null;
  const warnings: string[] = [];

  const files = [...REQUIRED, 'tokenizer_config.json', 'nib.json'].filter((f) => existsSync(join(dir, f))).sort();
  const fileHashes: Record<string, string> = {};
  // The towers' files are hashed as openTower reads them (once, on a worker thread); the others here.
  for (const f of files) if (!f.startsWith('onnx/')) fileHashes[f] = sha256File(join(dir, f));

  const modelType = typeof config.model_type === 'string' ? config.model_type : null;
  // What loading needs from each parsed model is read while openTower holds it (it lets it go after).
  const looked: { pvDims: ReturnType<typeof staticDims>; rows: number | null } = { pvDims: null, rows: null };
  // The text tower's file is read and hashed on a worker thread while onnxruntime builds the vision
  // session on this thread. Marked handled at once: a failed read is reported where it is
  // awaited (naming the text tower), or not at all where the vision tower failed first.
  const pending: { text: Promise<TowerFile> | null } = { text: null };
  const readText = (): Promise<TowerFile> => {
    pending.text = readTowerFileLater(dir, 'text');
    pending.text.catch(() => undefined);
    return pending.text;
  };
  const vis = await openTower('vision', dir, nib, { prefer, prepack }, int(vcfg.num_hidden_layers), warnings, modelType, readTowerFile(dir, 'vision'), (m) => {
    looked.pvDims = staticDims((m.graph?.input ?? []).find((i) => i.name === 'pixel_values'));
  }, readText);
  fileHashes['onnx/vision_model.onnx'] = vis.sha256;
  let txt;
  try {
    const read = await (pending.text ?? readText());
    // Where the accelerator failed for the vision tower, do not try it (and log its error) again.
    txt = await openTower('text', dir, nib, { prefer: vis.provider === 'cpu' ? 'cpu' : prefer, prepack }, int(tcfg.num_hidden_layers), warnings, modelType, read, (m) => {
      looked.rows = embeddingRows(m, 'input_ids');
    });
  } catch (e) {
    await releaseTower(vis);
    throw e;
  }
  fileHashes['onnx/text_model.onnx'] = txt.sha256;
  const sha256 = createHash('sha256').update(files.map((f) => `${f}\0${fileHashes[f]}\n`).join('')).digest('hex');
  const release = async (): Promise<void> => {
    await releaseTower(vis);
    await releaseTower(txt);
  };
  try {
    // Image size: the export's static size if any, else config / preprocessor.
    const pvDims = looked.pvDims;
    let prepProbe: PreprocessConfig;
    try {
      prepProbe = parsePreprocessorConfig(prepJson, int(vcfg.image_size) ?? 224, join(dir, 'preprocessor_config.json'));
    } catch (e) {
      if (e instanceof PreprocessError) throw new BundleError(e.message);
      throw e;
    }
    const imageSize = int(vcfg.image_size) ?? prepProbe.cropHeight;
    if (pvDims && pvDims.length === 4 && ((pvDims[2] !== null && pvDims[2] !== prepProbe.cropHeight) || (pvDims[3] !== null && pvDims[3] !== prepProbe.cropWidth))) {
      throw new BundleError(`${vis.tower.file}: the export takes ${pvDims[2]}×${pvDims[3]} images but preprocessor_config.json crops to ${prepProbe.cropHeight}×${prepProbe.cropWidth}`);
    }
    if (prepProbe.cropHeight !== imageSize || prepProbe.cropWidth !== imageSize) {
      throw new BundleError(`${join(dir, 'preprocessor_config.json')}: crop ${prepProbe.cropHeight}×${prepProbe.cropWidth} does not match the vision model's image_size ${imageSize}`);
    }
    const patchSize = int(vcfg.patch_size);
    const contextLength = int(tcfg.max_position_embeddings) ?? int(tokCfg.model_max_length) ?? 77;
    const modelMax = int(tokCfg.model_max_length);
    let tokenizer: ClipTokenizer;
    try {
      tokenizer = new ClipTokenizer(tokJson, tokCfg, Math.min(contextLength, modelMax && modelMax < 1e6 ? modelMax : contextLength), join(dir, 'tokenizer.json'));
    } catch (e) {
      if (e instanceof TokenizerError) throw new BundleError(e.message);
      throw e;
    }
    const rows = looked.rows ?? int(tcfg.vocab_size);
    const maxId = tokenizerMaxId(tokJson);
    if (rows !== null && maxId >= rows) {
      throw new BundleError(`${join(dir, 'tokenizer.json')}: the tokenizer has ids up to ${maxId} but the text model's token embedding has ${rows} rows: this tokenizer does not belong to ${txt.tower.file}`);
    }

    txt.tower.mask = (ids) => tokenizer.attentionMask(ids);
    const probe = tokenizer.encode('a');
    // What the probe runs find is kept with the graphs: the same files, onnxruntime, CPU and packing
    // give the same runs (ViT-B/32: 0.15–0.2 s of every later load).
    const probeKey = { graph: 'load-probe', model: sha256, provider: `${vis.provider}/${txt.provider}`, prepack };
    const known = storedProbe(await opts?.graphCache?.getRecord<StoredProbe>(probeKey));
    const vFound = known?.vision ?? (await probeVision(vis.tower, imageSize));
    const vTokens = vFound.tokens;
    const layout = patchLayout(vTokens, imageSize, patchSize, vcfg, nib, { vision: vis.tower.file, nib: join(dir, 'nib.json'), config: join(dir, 'config.json') });
    const grid = layout.grid;
    const tFound = known?.text ?? (await probeText(txt.tower, probe.ids, vFound.projectionDim, dir));
    if (!known) opts?.graphCache?.putRecord<StoredProbe>(probeKey, { vision: { ...vFound, zeroImageEmbeds: Buffer.from(vFound.zeroImageEmbeds.buffer, vFound.zeroImageEmbeds.byteOffset, vFound.zeroImageEmbeds.byteLength).toString('base64') }, text: tFound });

    // Assigned, not spread: a spread would read the model once and keep it.
    const vision: Tower = Object.assign(vis.tower, { width: vFound.width, tokens: vTokens });
    const text: Tower = Object.assign(txt.tower, { width: tFound.width, tokens: probe.ids.length });
    const cache = new Map<string, Promise<Releasable>>();
    const bundle: ClipBundle = {
      dir,
      name: bundleName(config, dir),
      sha256,
      fileHashes,
      provider: vis.provider,
      fallbackReason: vis.fallbackReason,
      visionLayers: vision.layers,
      textLayers: text.layers,
      imageSize,
      patchSize: patchSize ?? Math.floor(imageSize / grid[0]),
      grid,
      visionCls: layout.prefix > 0,
      visionPrefix: layout.prefix,
      projectionDim: vFound.projectionDim,
      zeroImageEmbeds: vFound.zeroImageEmbeds,
      contextLength,
      preprocessor: prepProbe,
      tokenizer,
      vision,
      text,
      warnings,
      cache,
      graphCache: opts?.graphCache ?? null,
      gradientPrepack: opts?.gradientPrepack ?? true,
      tokenize(s: string): Tokenized {
        return tokenizer.encode(s);
      },
      async runVision(pixelValues, batch, fetch) {
        const need = batch * 3 * imageSize * imageSize;
        if (pixelValues.length !== need) {
          throw new BundleError(`${vision.file}: pixel_values has ${pixelValues.length} values, the model takes ${batch}×3×${imageSize}×${imageSize} = ${need}`);
        }
        return runTower(vision, new ort.Tensor('float32', pixelValues, [batch, 3, imageSize, imageSize]), fetch, null);
      },
      async runText(ids, fetch) {
        return runTower(text, null, fetch, ids);
      },
      async embedImages(pixelValues, batch) {
        const out = await bundle.runVision(pixelValues, batch, [vision.outputName]);
        return out[vision.outputName].data as Float32Array;
      },
      async embedTexts(texts) {
        const dim = bundle.projectionDim;
        const res = new Float32Array(texts.length * dim);
        for (let i = 0; i < texts.length; i++) {
          const tk = tokenizer.encode(texts[i]);
          const out = await bundle.runText(tk.ids, [text.outputName]);
          res.set(out[text.outputName].data as Float32Array, i * dim);
        }
        return res;
      },
      async dispose() {
        // Graphs still being written to the disk cache are finished first.
        await bundle.graphCache?.flush();
        await releaseDerived(bundle);
        await release();
      },
    };
    return bundle;
  } catch (e) {
    await release();
    throw e;
  }
}

