// Writes CLIP-shaped ONNX bundles with random weights, in the op patterns and tensor names of the Hugging Face
// (torch exporter) CLIP export and the transformers.js folder layout. For tests and benchmarks only.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OnnxError, writeModel, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from './model';
import { DT, makeAttr, makeTensor, type AttrValue } from './tensors';

export interface ClipBundleOptions {
  imageSize: number;
  patch: number;
  visionWidth: number;
  visionLayers: number;
  visionHeads: number;
  textWidth: number;
  textLayers: number;
  textHeads: number;
  contextLength: number;
  projection: number;
  vocabSize: number;
  seed: number;
  opset?: number;
}

const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD = [0.26862954, 0.26130258, 0.27577711];
const FLOAT_MIN = -3.4028234663852886e38;

class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Uniform values with the given standard deviation around `mean`. */
  fill(n: number, std: number, mean = 0): Float32Array {
    const a = std * Math.sqrt(3);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = mean + (this.next() * 2 - 1) * a;
    return out;
  }
}

/** Emits nodes named like the torch exporter: `<scope>/<Op>[_k]` with output `<node>_output_0`. */
class Emitter {
  readonly nodes: NodeProto[] = [];
  readonly inits: TensorProto[] = [];
  private readonly counts = new Map<string, number>();
  private matmulId = 500;
  private constId = 0;

  constructor(private readonly rng: Rng, readonly opset: number) {}

  op(scope: string, opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, nOut = 1): string {
    return this.opN(scope, opType, inputs, attrs, nOut)[0];
  }

  opN(scope: string, opType: string, inputs: string[], attrs: Record<string, AttrValue>, nOut: number): string[] {
    const key = `${scope}/${opType}`;
    const k = this.counts.get(key) ?? 0;
    this.counts.set(key, k + 1);
    const name = k === 0 ? key : `${key}_${k}`;
    const outputs = Array.from({ length: nOut }, (_, i) => `${name}_output_${i}`);
    this.nodes.push({ opType, name, input: inputs, output: outputs, attribute: Object.entries(attrs).map(([a, v]) => makeAttr(a, v)) });
    return outputs;
  }

  rename(from: string, to: string): void {
    for (const n of this.nodes) {
      n.output = n.output!.map((x) => (x === from ? to : x));
      n.input = n.input!.map((x) => (x === from ? to : x));
    }
  }

  /** A Constant node, as the exporter writes small constants. */
  constant(scope: string, dataType: number, dims: number[], values: number[]): string {
    return this.op(scope, 'Constant', [], { value: makeTensor(`c${this.constId++}`, dataType, dims, values) });
  }

  param(name: string, dims: number[], std: number, mean = 0): string {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = this.rng.fill(n, std, mean);
    this.inits.push({ name, dataType: DT.FLOAT, dims, rawData: new Uint8Array(data.buffer) });
    return name;
  }

  /** Linear weights are stored pre-transposed under exporter names `onnx::MatMul_NNN`. */
  matmulWeight(inDim: number, outDim: number): string {
    return this.param(`onnx::MatMul_${this.matmulId++}`, [inDim, outDim], 1 / Math.sqrt(inDim));
  }
}

function layerNorm(e: Emitter, scope: string, x: string, prefix: string, width: number): string {
  if (e.opset >= 17) {
    // torch exports at opset 17+ keep LayerNorm as one op
    const w = e.param(`${prefix}.weight`, [width], 0.05, 1);
    const b = e.param(`${prefix}.bias`, [width], 0.02);
    return e.op(scope, 'LayerNormalization', [x, w, b], { axis: -1, epsilon: { float: 1e-5 } });
  }
  const mean = e.op(scope, 'ReduceMean', [x], { axes: [-1] });
  const sub = e.op(scope, 'Sub', [x, mean]);
  const two = e.constant(scope, DT.FLOAT, [], [2]);
  const pow = e.op(scope, 'Pow', [sub, two]);
  const variance = e.op(scope, 'ReduceMean', [pow], { axes: [-1] });
  const eps = e.constant(scope, DT.FLOAT, [], [1e-5]);
  const std = e.op(scope, 'Sqrt', [e.op(scope, 'Add', [variance, eps])]);
  const norm = e.op(scope, 'Div', [sub, std]);
  const w = e.param(`${prefix}.weight`, [width], 0.05, 1);
  const b = e.param(`${prefix}.bias`, [width], 0.02);
  return e.op(scope, 'Add', [e.op(scope, 'Mul', [norm, w]), b]);
}

function linear(e: Emitter, scope: string, x: string, prefix: string, inDim: number, outDim: number): string {
  const w = e.matmulWeight(inDim, outDim);
  const mm = e.op(scope, 'MatMul', [x, w]);
  const b = e.param(`${prefix}.bias`, [outDim], 0.02);
  return e.op(scope, 'Add', [b, mm]);
}

/** Batch size and sequence length of x as 1-D int64 tensors, the way the exporter derives them. */
function dimOf(e: Emitter, scope: string, x: string, index: number): string {
  const shape = e.op(scope, 'Shape', [x]);
  const idx = e.constant(scope, DT.INT64, [], [index]);
  const g = e.op(scope, 'Gather', [shape, idx], { axis: 0 });
  const axes = e.constant(scope, DT.INT64, [1], [0]);
  return e.op(scope, 'Unsqueeze', [g, axes]);
}

function encoderLayer(e: Emitter, tower: string, i: number, x: string, width: number, heads: number, mask: string | null): string {
  const scope = `/${tower}/encoder/layers.${i}`;
  const attn = `${scope}/self_attn`;
  const p = `${tower}.encoder.layers.${i}`;
  const hd = width / heads;
  const ln1 = layerNorm(e, `${scope}/layer_norm1`, x, `${p}.layer_norm1`, width);
  const batch = dimOf(e, attn, ln1, 0);
  const seq = dimOf(e, attn, ln1, 1);
  const headShape = (): string =>
    e.op(attn, 'Concat', [batch, e.constant(attn, DT.INT64, [1], [-1]), e.constant(attn, DT.INT64, [1], [heads]), e.constant(attn, DT.INT64, [1], [hd])], { axis: 0 });
  const q = e.op(attn, 'Mul', [linear(e, `${attn}/q_proj`, ln1, `${p}.self_attn.q_proj`, width, width), e.constant(attn, DT.FLOAT, [], [1 / Math.sqrt(hd)])]);
  const k = linear(e, `${attn}/k_proj`, ln1, `${p}.self_attn.k_proj`, width, width);
  const v = linear(e, `${attn}/v_proj`, ln1, `${p}.self_attn.v_proj`, width, width);
  const qh = e.op(attn, 'Transpose', [e.op(attn, 'Reshape', [q, headShape()])], { perm: [0, 2, 1, 3] });
  const kh = e.op(attn, 'Transpose', [e.op(attn, 'Reshape', [k, headShape()])], { perm: [0, 2, 3, 1] });
  const vh = e.op(attn, 'Transpose', [e.op(attn, 'Reshape', [v, headShape()])], { perm: [0, 2, 1, 3] });
  let scores = e.op(attn, 'MatMul', [qh, kh]);
  if (mask) scores = e.op(attn, 'Add', [scores, mask]);
  const probs = e.op(attn, 'Softmax', [scores], { axis: -1 });
  const ctx = e.op(attn, 'Transpose', [e.op(attn, 'MatMul', [probs, vh])], { perm: [0, 2, 1, 3] });
  const merged = e.op(attn, 'Reshape', [ctx, e.op(attn, 'Concat', [batch, seq, e.constant(attn, DT.INT64, [1], [width])], { axis: 0 })]);
  const out = linear(e, `${attn}/out_proj`, merged, `${p}.self_attn.out_proj`, width, width);
  const h = e.op(scope, 'Add', [x, out]);
  const ln2 = layerNorm(e, `${scope}/layer_norm2`, h, `${p}.layer_norm2`, width);
  const fc1 = linear(e, `${scope}/mlp/fc1`, ln2, `${p}.mlp.fc1`, width, 4 * width);
  const act = `${scope}/mlp/activation_fn`;
  const gate = e.op(act, 'Sigmoid', [e.op(act, 'Mul', [fc1, e.constant(act, DT.FLOAT, [], [1.702])])]);
  const gelu = e.op(act, 'Mul', [fc1, gate]);
  const fc2 = linear(e, `${scope}/mlp/fc2`, gelu, `${p}.mlp.fc2`, 4 * width, width);
  return e.op(scope, 'Add', [h, fc2]);
}

function tensorInput(name: string, elemType: number, dims: (number | string)[]): ValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } };
}

function finish(e: Emitter, name: string, inputs: ValueInfoProto[], outputs: ValueInfoProto[], opset: number): ModelProto {
  return {
    irVersion: 8,
    producerName: 'candor-clipgen',
    opsetImport: [{ domain: '', version: opset }],
    graph: { name, node: e.nodes, initializer: e.inits, input: inputs, output: outputs },
  };
}

export function buildVisionModel(o: ClipBundleOptions, rng: Rng): ModelProto {
  const e = new Emitter(rng, o.opset ?? 14);
  const W = o.visionWidth;
  const grid = o.imageSize / o.patch;
  const tokens = grid * grid + 1;
  const s = '/vision_model/embeddings';
  const px = e.op(s, 'Cast', ['pixel_values'], { to: DT.FLOAT });
  const conv = e.op(`${s}/patch_embedding`, 'Conv', [px, e.param('vision_model.embeddings.patch_embedding.weight', [W, 3, o.patch, o.patch], 1 / Math.sqrt(3 * o.patch * o.patch))], {
    dilations: [1, 1], group: 1, kernel_shape: [o.patch, o.patch], pads: [0, 0, 0, 0], strides: [o.patch, o.patch],
  });
  const batch = dimOf(e, s, conv, 0);
  const flat = e.op(s, 'Reshape', [conv, e.op(s, 'Concat', [batch, e.constant(s, DT.INT64, [1], [W]), e.constant(s, DT.INT64, [1], [-1])], { axis: 0 })]);
  const patches = e.op(s, 'Transpose', [flat], { perm: [0, 2, 1] });
  const clsShape = e.op(s, 'Concat', [batch, e.constant(s, DT.INT64, [1], [1]), e.constant(s, DT.INT64, [1], [1])], { axis: 0 });
  const cls = e.op(s, 'Expand', [e.param('vision_model.embeddings.class_embedding', [W], 0.5), clsShape]);
  const seq = e.op(s, 'Concat', [cls, patches], { axis: 1 });
  const posIds = e.constant(`${s}/position_embedding`, DT.INT64, [1, tokens], Array.from({ length: tokens }, (_, i) => i));
  const pos = e.op(`${s}/position_embedding`, 'Gather', [e.param('vision_model.embeddings.position_embedding.weight', [tokens, W], 0.5), posIds]);
  const emb = e.op(s, 'Add', [seq, pos]);
  let h = layerNorm(e, '/vision_model/pre_layrnorm', emb, 'vision_model.pre_layrnorm', W);
  for (let i = 0; i < o.visionLayers; i++) h = encoderLayer(e, 'vision_model', i, h, W, o.visionHeads, null);
  e.rename(h, 'last_hidden_state'); // as exported: the last layer's output is the graph output itself
  const pooled = e.op('/vision_model', 'Gather', ['last_hidden_state', e.constant('/vision_model', DT.INT64, [], [0])], { axis: 1 });
  const post = layerNorm(e, '/vision_model/post_layernorm', pooled, 'vision_model.post_layernorm', W);
  e.nodes.push({ opType: 'MatMul', name: '/visual_projection/MatMul', input: [post, e.matmulWeight(W, o.projection)], output: ['image_embeds'] });
  return finish(e, 'main_graph', [tensorInput('pixel_values', DT.FLOAT, ['batch_size', 3, o.imageSize, o.imageSize])], [
    tensorInput('image_embeds', DT.FLOAT, ['batch_size', o.projection]),
    tensorInput('last_hidden_state', DT.FLOAT, ['batch_size', tokens, W]),
  ], o.opset ?? 14);
}

export function buildTextModel(o: ClipBundleOptions, rng: Rng): ModelProto {
  const e = new Emitter(rng, o.opset ?? 14);
  const W = o.textWidth;
  const s = '/text_model/embeddings';
  const seqLen = dimOf(e, s, 'input_ids', 1);
  const tok = e.op(`${s}/token_embedding`, 'Gather', [e.param('text_model.embeddings.token_embedding.weight', [o.vocabSize, W], 0.5), 'input_ids']);
  const posBuffer = e.constant(s, DT.INT64, [1, o.contextLength], Array.from({ length: o.contextLength }, (_, i) => i));
  const posIds = e.op(s, 'Slice', [posBuffer, e.constant(s, DT.INT64, [1], [0]), seqLen, e.constant(s, DT.INT64, [1], [1])]);
  const pos = e.op(`${s}/position_embedding`, 'Gather', [e.param('text_model.embeddings.position_embedding.weight', [o.contextLength, W], 0.5), posIds]);
  let h = e.op(s, 'Add', [tok, pos]);
  // causal mask [1, 1, T, T]: large negative above the diagonal
  const m = '/text_model';
  const tScalar = e.op(m, 'Squeeze', [seqLen, e.constant(m, DT.INT64, [1], [0])]);
  const range = e.op(m, 'Range', [e.constant(m, DT.INT64, [], [0]), tScalar, e.constant(m, DT.INT64, [], [1])]);
  const above = e.op(m, 'Greater', [e.op(m, 'Unsqueeze', [range, e.constant(m, DT.INT64, [1], [0])]), e.op(m, 'Unsqueeze', [range, e.constant(m, DT.INT64, [1], [1])])]);
  const zeros = e.op(m, 'ConstantOfShape', [e.op(m, 'Concat', [seqLen, seqLen], { axis: 0 })], { value: makeTensor('v', DT.FLOAT, [1], [0]) });
  const maskTT = e.op(m, 'Where', [above, e.constant(m, DT.FLOAT, [], [FLOAT_MIN]), zeros]);
  const mask = e.op(m, 'Unsqueeze', [maskTT, e.constant(m, DT.INT64, [2], [0, 1])]);
  for (let i = 0; i < o.textLayers; i++) h = encoderLayer(e, 'text_model', i, h, W, o.textHeads, mask);
  const fin = layerNorm(e, '/text_model/final_layer_norm', h, 'text_model.final_layer_norm', W);
  e.rename(fin, 'last_hidden_state');
  // pooling at argmax(input_ids) (the end token has the highest id), through a flattened Gather as exported
  const eos = e.op(m, 'ArgMax', [e.op(m, 'Cast', ['input_ids'], { to: DT.INT32 })], { axis: -1, keepdims: 0 });
  const eos64 = e.op(m, 'Cast', [eos], { to: DT.INT64 });
  const b = e.op(m, 'Squeeze', [dimOf(e, m, 'input_ids', 0), e.constant(m, DT.INT64, [1], [0])]);
  const rows = e.op(m, 'Range', [e.constant(m, DT.INT64, [], [0]), b, e.constant(m, DT.INT64, [], [1])]);
  const flatIdx = e.op(m, 'Add', [eos64, e.op(m, 'Mul', [rows, tScalar])]);
  const flat = e.op(m, 'Flatten', ['last_hidden_state'], { axis: 2 });
  const pooled = e.op(m, 'Gather', [flat, flatIdx], { axis: 0 });
  e.nodes.push({ opType: 'MatMul', name: '/text_projection/MatMul', input: [pooled, e.matmulWeight(W, o.projection)], output: ['text_embeds'] });
  return finish(e, 'main_graph', [tensorInput('input_ids', DT.INT64, ['batch_size', 'sequence_length'])], [
    tensorInput('text_embeds', DT.FLOAT, ['batch_size', o.projection]),
    tensorInput('last_hidden_state', DT.FLOAT, ['batch_size', 'sequence_length', W]),
  ], o.opset ?? 14);
}

const WORDS = [
  'no', 'pleural', 'effusion', 'small', 'left', 'right', 'lower', 'upper', 'lobe', 'nodule', 'mild', 'cardiomegaly',
  'with', 'bilateral', 'interstitial', 'edema', 'consolidation', 'pneumonia', 'heart', 'size', 'is', 'normal', 'within',
  'limits', 'the', 'lungs', 'are', 'clear', 'focal', 'pneumothorax', 'or', 'seen', 'stable', 'in', 'apex', 'large',
  'acute', 'findings', 'mediastinal', 'shift', '.', ',', ';', ':', '!', '?', '(', ')', '-',
];

function tokenizerJson(vocabSize: number): object {
  if (vocabSize < 4) throw new OnnxError(`vocabSize ${vocabSize} is too small (need at least 4)`);
  const vocab: Record<string, number> = { '<|unk|>': 0 };
  let id = 1;
  for (const w of WORDS) if (id < vocabSize - 2) vocab[w] = id++;
  while (id < vocabSize - 2) vocab[`tok${id}`] = id++;
  const bos = vocabSize - 2;
  const eos = vocabSize - 1;
  vocab['<|startoftext|>'] = bos;
  vocab['<|endoftext|>'] = eos;
  const special = (i: number, content: string) => ({ id: i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '<|unk|>'), special(bos, '<|startoftext|>'), special(eos, '<|endoftext|>')],
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'WhitespaceSplit' },
        { type: 'Split', pattern: { Regex: '[\\p{P}\\x21-\\x2F\\x3A-\\x40\\x5B-\\x60\\x7B-\\x7E]' }, behavior: 'Isolated', invert: false },
      ],
    },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<|startoftext|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<|endoftext|>', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '<|startoftext|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<|endoftext|>', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '<|endoftext|>', type_id: 1 } },
      ],
      special_tokens: {
        '<|startoftext|>': { id: '<|startoftext|>', ids: [bos], tokens: ['<|startoftext|>'] },
        '<|endoftext|>': { id: '<|endoftext|>', ids: [eos], tokens: ['<|endoftext|>'] },
      },
    },
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: '<|unk|>' },
  };
}

function validate(o: ClipBundleOptions): void {
  const bad = (why: string): never => {
    throw new OnnxError(`writeRandomClipBundle: ${why}`);
  };
  for (const k of ['imageSize', 'patch', 'visionWidth', 'visionLayers', 'visionHeads', 'textWidth', 'textLayers', 'textHeads', 'contextLength', 'projection', 'vocabSize'] as const) {
    if (!Number.isInteger(o[k]) || o[k] <= 0) bad(`${k} must be a positive integer (got ${o[k]})`);
  }
  if (o.imageSize % o.patch) bad(`imageSize ${o.imageSize} is not a multiple of patch ${o.patch}`);
  if (o.visionWidth % o.visionHeads) bad(`visionWidth ${o.visionWidth} is not divisible by visionHeads ${o.visionHeads}`);
  if (o.textWidth % o.textHeads) bad(`textWidth ${o.textWidth} is not divisible by textHeads ${o.textHeads}`);
  if (o.opset !== undefined && (o.opset < 13 || o.opset > 20)) bad(`opset ${o.opset} is not supported by the generator (13 to 20)`);
}

export async function writeRandomClipBundle(dir: string, opts: ClipBundleOptions): Promise<void> {
  validate(opts);
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const rng = new Rng(opts.seed);
  writeModel(join(dir, 'onnx', 'vision_model.onnx'), buildVisionModel(opts, rng));
  writeModel(join(dir, 'onnx', 'text_model.onnx'), buildTextModel(opts, rng));
  const visionLayers: Record<string, string> = { '0': '/vision_model/pre_layrnorm/Add_1_output_0' };
  const textLayers: Record<string, string> = { '0': '/text_model/embeddings/Add_output_0' };
  for (let i = 1; i <= opts.visionLayers; i++) {
    visionLayers[String(i)] = i === opts.visionLayers ? 'last_hidden_state' : `/vision_model/encoder/layers.${i - 1}/Add_1_output_0`;
  }
  for (let i = 1; i <= opts.textLayers; i++) textLayers[String(i)] = `/text_model/encoder/layers.${i - 1}/Add_1_output_0`;
  const config = {
    architectures: ['CLIPModel'],
    model_type: 'clip',
    projection_dim: opts.projection,
    logit_scale_init_value: 2.6592,
    initializer_factor: 1.0,
    text_config: {
      model_type: 'clip_text_model', hidden_size: opts.textWidth, num_hidden_layers: opts.textLayers, num_attention_heads: opts.textHeads,
      intermediate_size: 4 * opts.textWidth, max_position_embeddings: opts.contextLength, vocab_size: opts.vocabSize, hidden_act: 'quick_gelu',
      layer_norm_eps: 1e-5, bos_token_id: opts.vocabSize - 2, eos_token_id: opts.vocabSize - 1, pad_token_id: opts.vocabSize - 1, projection_dim: opts.projection,
    },
    vision_config: {
      model_type: 'clip_vision_model', image_size: opts.imageSize, patch_size: opts.patch, hidden_size: opts.visionWidth,
      num_hidden_layers: opts.visionLayers, num_attention_heads: opts.visionHeads, intermediate_size: 4 * opts.visionWidth, num_channels: 3,
      hidden_act: 'quick_gelu', layer_norm_eps: 1e-5, projection_dim: opts.projection,
    },
    candor_random_bundle: {
      generator: 'native-models/onnx/clipgen.ts (random weights, NOT a trained model)', seed: opts.seed, opset: opts.opset ?? 14,
      vision_layer_input_tensors: visionLayers, text_layer_input_tensors: textLayers,
    },
  };
  const preprocessor = {
    crop_size: { height: opts.imageSize, width: opts.imageSize }, do_center_crop: true, do_convert_rgb: true, do_normalize: true,
    do_rescale: true, do_resize: true, feature_extractor_type: 'CLIPFeatureExtractor', image_processor_type: 'CLIPImageProcessor',
    image_mean: CLIP_MEAN, image_std: CLIP_STD, resample: 3, rescale_factor: 1 / 255, size: { shortest_edge: opts.imageSize },
  };
  const tokConfig = {
    tokenizer_class: 'PreTrainedTokenizerFast', model_max_length: opts.contextLength, bos_token: '<|startoftext|>', eos_token: '<|endoftext|>',
    pad_token: '<|endoftext|>', unk_token: '<|unk|>', do_lower_case: true, clean_up_tokenization_spaces: false,
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 1));
  writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify(preprocessor, null, 1));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson(opts.vocabSize)));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tokConfig, null, 1));
}
