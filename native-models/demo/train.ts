// `npm run train:demo`: regenerates native-models/demo/bundle deterministically.
// 1. builds the WordLevel vocabulary from the report grammar and writes the tokenizer files,
// 2. renders the training and held-out phantom sets with the TypeScript generator,
// 3. runs train_clip.py (Debian python3-torch 1.13) to train and export the ONNX files.
// Flags: --out DIR, --train N, --heldout N, --epochs N, --threads N, --tmp DIR.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeDataset } from './dataset';
import { buildTokenizerFiles, collectVocabulary, CONTEXT_LENGTH, makeEncoder } from './vocabulary';

const here = dirname(fileURLToPath(import.meta.url));

export const TRAIN_SEED_BASE = 1_000_000;
export const HELDOUT_SEED_BASE = 7_000_000;
export const MODEL_IMAGE_SIZE = 96;

export interface TrainOptions {
  out: string;
  trainCount: number;
  heldoutCount: number;
  epochs: number;
  threads: number;
  tmp: string;
}

export function demoModelConfig(vocabSize: number): Record<string, unknown> {
  const bos = vocabSize - 2;
  const eos = vocabSize - 1;
  return {
    _name_or_path: 'candor/demo-clip',
    architectures: ['CLIPModel'],
    model_type: 'clip',
    projection_dim: 64,
    logit_scale_init_value: 2.6592,
    initializer_factor: 1.0,
    text_config: {
      model_type: 'clip_text_model',
      hidden_size: 64,
      num_hidden_layers: 6,
      num_attention_heads: 4,
      intermediate_size: 256,
      max_position_embeddings: CONTEXT_LENGTH,
      vocab_size: vocabSize,
      hidden_act: 'quick_gelu',
      layer_norm_eps: 1e-5,
      bos_token_id: bos,
      eos_token_id: eos,
      pad_token_id: eos,
      projection_dim: 64,
    },
    vision_config: {
      model_type: 'clip_vision_model',
      image_size: MODEL_IMAGE_SIZE,
      patch_size: 8,
      hidden_size: 64,
      num_hidden_layers: 6,
      num_attention_heads: 2,
      intermediate_size: 256,
      num_channels: 3,
      hidden_act: 'quick_gelu',
      layer_norm_eps: 1e-5,
      projection_dim: 64,
    },
    candor_demo: {
      description: 'Candor demo CLIP trained on synthetic chest-radiograph phantoms; not a medical device, not for clinical use.',
      trained_by: 'native-models/demo/train.ts + train_clip.py (torch 1.13, ONNX opset 14)',
      train_seed_base: TRAIN_SEED_BASE,
      heldout_seed_base: HELDOUT_SEED_BASE,
      default_window: 'DICOM default window of the study (phantoms: center 1900, width 3400)',
    },
  };
}

function parseArgs(argv: string[]): TrainOptions {
  const get = (name: string, fallback: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
  };
  const num = (name: string, fallback: number): number => {
    const v = Number(get(name, String(fallback)));
    if (!Number.isInteger(v) || v <= 0) throw new Error(`train.ts: --${name} must be a positive integer, got "${get(name, '')}"`);
    return v;
  };
  return {
    out: resolve(get('out', join(here, 'bundle'))),
    trainCount: num('train', 6000),
    heldoutCount: num('heldout', 400),
    epochs: num('epochs', 14),
    threads: num('threads', 2),
    tmp: get('tmp', ''),
  };
}

export function trainDemo(opts: TrainOptions): void {
  const t0 = Date.now();
  mkdirSync(opts.out, { recursive: true });
  const words = collectVocabulary();
  const files = buildTokenizerFiles(words);
  writeFileSync(join(opts.out, 'tokenizer.json'), JSON.stringify(files.tokenizerJson, null, 1));
  writeFileSync(join(opts.out, 'tokenizer_config.json'), JSON.stringify(files.tokenizerConfig, null, 1));
  const vocabSize = words.length + 3;
  const encode = makeEncoder(files);
  const tmp = opts.tmp ? resolve(opts.tmp) : mkdtempSync(join(tmpdir(), 'candor-demo-'));
  mkdirSync(tmp, { recursive: true });
  const config = demoModelConfig(vocabSize);
  const configPath = join(tmp, 'config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 1));
  const padId = vocabSize - 1;
  const size = MODEL_IMAGE_SIZE;
  writeDataset(join(tmp, 'train'), { count: opts.trainCount, seedBase: TRAIN_SEED_BASE, size, variants: 4, padId, withMasks: false }, encode);
  writeDataset(join(tmp, 'heldout'), { count: opts.heldoutCount, seedBase: HELDOUT_SEED_BASE, size, variants: 1, padId, withMasks: true }, encode);
  console.log(`vocabulary ${vocabSize} tokens; data sets rendered in ${((Date.now() - t0) / 1000).toFixed(1)} s under ${tmp}`);
  const args = [
    join(here, 'train_clip.py'),
    '--data', join(tmp, 'train'),
    '--heldout', join(tmp, 'heldout'),
    '--out', opts.out,
    '--config', configPath,
    '--epochs', String(opts.epochs),
    '--threads', String(opts.threads),
    '--checkpoint', join(tmp, 'model.pt'),
  ];
  // Debian's torch uses the system BLAS: OpenBLAS (libopenblas0-pthread) is ~10x faster than the
  // generic one and has its own thread pool, which must not oversubscribe the cores.
  const env = { ...process.env, OPENBLAS_NUM_THREADS: String(opts.threads), OMP_NUM_THREADS: String(opts.threads), OMP_WAIT_POLICY: 'PASSIVE' };
  const res = spawnSync('/usr/bin/python3', args, { stdio: 'inherit', env });
  if (res.error) throw new Error(`train.ts: could not run /usr/bin/python3 (apt-get install -y python3-torch): ${res.error.message}`);
  if (res.status !== 0) throw new Error(`train.ts: train_clip.py failed with exit status ${res.status}`);
  console.log(`bundle written to ${opts.out} in ${((Date.now() - t0) / 60000).toFixed(1)} min`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  trainDemo(parseArgs(process.argv.slice(2)));
}
