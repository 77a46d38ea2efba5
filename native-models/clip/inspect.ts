/**
 * What Candor makes of a model bundle, for `candor model inspect`: the family it recognises (by
 * structure, not by name), each tower's layers and the tensor NIB cuts at per layer, the non-patch
 * tokens and the grid, the pooling, the inputs, the tokenizer with a sample tokenization, and the
 * preprocessing. A bundle that cannot be used is described as far as its files allow, with the
 * problem loadClipBundle names (which file, what is wrong).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { errorMessage } from '../errors';
import { loadClipBundle, type ClipBundle, type Prefer } from './bundle';
import { describePooling, type Pooling } from './pooling';
import { RESAMPLE_NAMES, type PreprocessConfig } from './preprocess';
import type { Tower } from './tower';

export type FamilyId = 'openai-clip' | 'biomedclip' | 'siglip' | 'custom';

export interface TowerReport {
  file: string;
  inputs: string[];
  output: string;
  layers: number;
  width: number;
  tokens: number;
  /** How the cut tensors were found: nib.json, or by structure with the block layout. */
  cutPoints: string;
  /** [L] = the tensor NIB scales for layer L; the last is the encoder output. */
  cuts: string[];
  pooling: Pooling;
  poolingText: string;
}

export interface InspectReport {
  dir: string;
  ok: boolean;
  /** Why the bundle cannot be used (null when it can). */
  error: string | null;
  config: { modelType: string | null; architectures: string[] };
  family: { id: FamilyId; label: string; traits: string[] } | null;
  vision: (TowerReport & { imageSize: number; patchSize: number; grid: [number, number]; prefixTokens: number; prefixText: string }) | null;
  text: (TowerReport & { contextLength: number }) | null;
  tokenizer: {
    type: string;
    vocabulary: number | null;
    unknownToken: string | null;
    padding: string | null;
    sample: { text: string; tokens: { id: number; token: string; start: number | null; end: number | null; text: string; special: boolean; pad: boolean }[] } | null;
  } | null;
  preprocessing: string | null;
  warnings: string[];
}

export const SAMPLE_TEXT = 'Small left pleural effusions; no pneumothorax. Mild cardiomegaly.';

function readJsonOrNull(file: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function vocabularySize(json: Record<string, unknown> | null): number | null {
  const model = json?.model as { vocab?: unknown } | undefined;
  const v = model?.vocab;
  const ids = new Set<number>();
  if (Array.isArray(v)) v.forEach((_, i) => ids.add(i));
  else if (v && typeof v === 'object') for (const id of Object.values(v)) if (typeof id === 'number') ids.add(id);
  for (const t of (json?.added_tokens as { id: number }[] | undefined) ?? []) ids.add(t.id);
  return ids.size || null;
}

const TOKENIZER_TYPES: Record<string, string> = {
  wordpiece: 'WordPiece (BERT: lower-cased, accents stripped, ## continuations)',
  bpe: 'byte-pair encoding',
  wordlevel: 'word-level vocabulary',
  unigram: 'Unigram (SentencePiece)',
  other: 'unrecognised model type',
};

/** The family, from the structure Candor found. */
export function recogniseFamily(b: ClipBundle): { id: FamilyId; label: string; traits: string[] } {
  const traits: string[] = [];
  const v = b.vision;
  const t = b.text;
  traits.push(b.visionPrefix === 0 ? 'no CLS token (every vision token is a patch)' : b.visionPrefix === 1 ? 'a CLS token' : `${b.visionPrefix} non-patch vision tokens (CLS + registers)`);
  if (v.cuts.layout) traits.push(`${v.cuts.layout} vision blocks`);
  if (t.cuts.layout) traits.push(`${t.cuts.layout} text blocks`);
  traits.push(`vision pooled at ${describePooling(v.pooling, b.visionPrefix)}`, `text pooled at ${describePooling(t.pooling, null)}`);
  traits.push(`${b.tokenizer.kind} tokenizer`);
  if (b.tokenizer.padding) traits.push(`text padded to ${b.tokenizer.padding.length}`);
  const textPost = t.cuts.layout === 'post-ln';
  if (b.visionPrefix === 0 && v.pooling.kind === 'attention') return { id: 'siglip', label: 'SigLIP-style (no CLS token, attention-pooling head)', traits };
  if (textPost && b.tokenizer.kind === 'wordpiece') return { id: 'biomedclip', label: 'BiomedCLIP-style (ViT image tower, BERT post-LN text tower, WordPiece)', traits };
  if (b.visionPrefix === 1 && v.pooling.kind === 'token' && v.pooling.index === 0 && t.pooling.kind === 'eos') {
    return { id: 'openai-clip', label: 'OpenAI-CLIP-style (CLS token, text pooled at the end-of-text token; CheXzero, PubMedCLIP)', traits };
  }
  return { id: 'custom', label: 'a CLIP-style dual encoder of its own kind', traits };
}

function layoutText(layout: 'pre-ln' | 'post-ln'): string {
  return layout === 'pre-ln' ? 'pre-LN: the residual stream between blocks' : 'post-LN: the output LayerNorm of each layer';
}

function cutPointsText(c: Tower['cuts']): string {
  if (c.source === 'structure') return `found by structure (${layoutText(c.layout)})`;
  if (c.matchesStructure && c.layout) return `named in nib.json, the same tensors Candor finds by structure (${layoutText(c.layout)})`;
  return c.layout ? `named in nib.json (structure finds other tensors, ${layoutText(c.layout)}: nib.json wins)` : 'named in nib.json (structure finds none)';
}

function towerReport(t: Tower): TowerReport {
  return {
    file: t.file,
    inputs: [t.inputName, ...t.extraInputs],
    output: t.outputName,
    layers: t.layers,
    width: t.width,
    tokens: t.tokens,
    cutPoints: cutPointsText(t.cuts),
    cuts: t.layerInputs,
    pooling: t.pooling,
    poolingText: describePooling(t.pooling, null),
  };
}

export function describePreprocessing(p: PreprocessConfig): string {
  const parts: string[] = [];
  if (p.doResize) parts.push(p.resizeTo ? `resize to exactly ${p.resizeTo.width}×${p.resizeTo.height}` : `resize the shortest edge to ${p.shortestEdge}`);
  parts.push(`${RESAMPLE_NAMES[p.resample] ?? p.resample} resampling`);
  parts.push(p.doCenterCrop ? `center crop ${p.cropWidth}×${p.cropHeight}` : 'no crop');
  if (p.doRescale) parts.push(`× ${+p.rescaleFactor.toPrecision(6)}`);
  if (p.doNormalize) parts.push(`mean [${p.mean.join(', ')}], std [${p.std.join(', ')}]`);
  return parts.join(', ');
}

export async function inspectBundle(dirIn: string, opts?: { prefer?: Prefer; text?: string }): Promise<InspectReport> {
  const dir = resolve(dirIn);
  const config = readJsonOrNull(join(dir, 'config.json'));
  const tokJson = readJsonOrNull(join(dir, 'tokenizer.json'));
  const report: InspectReport = {
    dir,
    ok: false,
    error: null,
    config: {
      modelType: typeof config?.model_type === 'string' ? config.model_type : null,
      architectures: Array.isArray(config?.architectures) ? (config.architectures as unknown[]).map(String) : [],
    },
    family: null,
    vision: null,
    text: null,
    tokenizer: tokJson ? { type: String((tokJson.model as { type?: string } | undefined)?.type ?? 'unknown'), vocabulary: vocabularySize(tokJson), unknownToken: null, padding: null, sample: null } : null,
    preprocessing: null,
    warnings: [],
  };
  let bundle: ClipBundle;
  try {
    bundle = await loadClipBundle(dir, { prefer: opts?.prefer ?? 'cpu' });
  } catch (e) {
    report.error = errorMessage(e);
    if (!existsSync(dir)) report.error = `${dir}: model bundle folder not found`;
    return report;
  }
  try {
    const tk = bundle.tokenizer;
    const sampleText = opts?.text ?? SAMPLE_TEXT;
    const sample = bundle.tokenize(sampleText);
    const unk = tk.unknownId;
    const padding = tk.padding;
    report.ok = true;
    report.family = recogniseFamily(bundle);
    report.vision = {
      ...towerReport(bundle.vision),
      imageSize: bundle.imageSize,
      patchSize: bundle.patchSize,
      grid: bundle.grid,
      prefixTokens: bundle.visionPrefix,
      prefixText: bundle.visionPrefix === 0 ? 'none: every token is a patch' : bundle.visionPrefix === 1 ? 'token 0 (CLS)' : `tokens 0–${bundle.visionPrefix - 1} (CLS and registers)`,
    };
    report.text = { ...towerReport(bundle.text), contextLength: bundle.contextLength };
    report.tokenizer = {
      type: TOKENIZER_TYPES[tk.kind],
      vocabulary: vocabularySize(tokJson),
      unknownToken: unk === null ? null : `${tk.unknownToken} (id ${unk})`,
      padding: padding ? `every text padded to ${padding.length} tokens on the ${padding.side} with ${padding.token} (id ${padding.id}); pads are scored, never shaded as words` : null,
      sample: { text: sampleText, tokens: sample.tokens.map((t) => ({ id: t.id, token: t.token, start: t.start, end: t.end, text: t.text, special: t.special, pad: !!t.pad })) },
    };
    report.preprocessing = describePreprocessing(bundle.preprocessor);
    report.warnings = [...bundle.warnings];
    return report;
  } finally {
    await bundle.dispose();
  }
}
