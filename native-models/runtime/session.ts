// onnxruntime sessions with an execution-provider choice that reports what actually runs.
import * as ort from 'onnxruntime-node';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UserInputError } from '../errors';

export type ProviderName = 'cpu' | 'cuda' | 'dml' | 'coreml';

export interface SessionInfo {
  session: ort.InferenceSession;
  provider: ProviderName;
  /** Why a preferred accelerator is not used (null when the preferred provider runs, or CPU was asked for). */
  fallbackReason: string | null;
}

export interface SessionOptions {
  /** 'auto' tries the accelerators usual on this platform, then CPU. */
  prefer?: ProviderName | 'auto';
  /** Threads inside one op (onnxruntime's default: one per physical core). */
  intraOpThreads?: number;
  /** Let pool threads busy-wait between ops (lower latency when this session runs alone on idle cores). */
  spin?: boolean;
  /**
   * Pre-pack constant weights for the matrix kernels at creation (onnxruntime's default, true): a
   * second copy of each weight in the kernel's layout, paid at creation, saved on every run.
   */
  prepack?: boolean;
  /** The model is onnxruntime's own optimized form of a graph: loaded with graph optimization off. */
  optimized?: boolean;
  /**
   * Where onnxruntime writes its optimized form of the model as it makes the session: the graph
   * file, and the name of its weights file (external data, in the graph file's folder).
   */
  saveOptimized?: { graph: string; weights: string } | null;
}

export class SessionError extends UserInputError {}

/** Accelerators worth trying on this platform, in order. */
export function platformProviders(platform: NodeJS.Platform = process.platform): ProviderName[] {
  if (platform === 'win32') return ['cuda', 'dml'];
  if (platform === 'darwin') return ['coreml'];
  if (platform === 'linux') return ['cuda'];
  return [];
}

/** Accelerators that failed to load in this process, with onnxruntime's reason. */
const unavailable = new Map<ProviderName, string>();

function describe(model: string | Uint8Array): string {
  return typeof model === 'string' ? model : `in-memory model (${model.byteLength} bytes)`;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * onnxruntime-node ships the CUDA provider as separate libraries that its install script
 * downloads; when they are absent (an offline install), trying CUDA only prints an error, so
 * the attempt is skipped with the reason.
 */
function missingCudaLibrary(): string | null {
  if (process.platform !== 'linux' && process.platform !== 'win32') return null;
  try {
    const require = createRequire(import.meta.url);
    const binDir = join(dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
    const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    return existsSync(join(binDir, lib)) ? null : `the CUDA provider library (${lib}) is not installed (onnxruntime-node was installed without it; see README "the GPU")`;
  } catch {
    return null;
  }
}

export async function createSession(model: string | Uint8Array, opts: SessionOptions = {}): Promise<SessionInfo> {
  const prefer = opts.prefer ?? 'auto';
  const candidates: ProviderName[] = prefer === 'auto' ? platformProviders() : prefer === 'cpu' ? [] : [prefer];
  const save = opts.saveOptimized;
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: opts.optimized ? 'disabled' : 'all',
    executionMode: 'sequential',
    ...(opts.intraOpThreads ? { intraOpNumThreads: opts.intraOpThreads } : {}),
    // Saving a graph optimized for this CPU draws a warning that it suits this environment only: the
    // graph cache that asks for it keys its entries by CPU, and keeps no layout for a vector width.
    ...(save ? { optimizedModelFilePath: save.graph, logSeverityLevel: 3 as const } : {}),
    // onnxruntime's pool threads spin after each op waiting for the next one. The app runs several
    // sessions one after another (towers, tails, gradients) on a few cores, and a pool still spinning
    // from the previous session steals cores from the running one: measured on 2 cores, the NIB
    // tail+gradient run takes 0.23 s with spinning off and 0.28–0.35 s with it on (npm run bench explain).
    extra: {
      session: {
        intra_op: { allow_spinning: opts.spin ? '1' : '0' },
        ...(opts.prepack === false ? { disable_prepacking: '1' } : {}),
        ...(save ? { optimized_model_external_initializers_file_name: save.weights, optimized_model_external_initializers_min_size_in_bytes: '1024' } : {}),
      },
    },
  };
  const reasons: string[] = [];
  for (const provider of candidates) {
    const missing = provider === 'cuda' && !unavailable.has(provider) ? missingCudaLibrary() : null;
    if (missing) unavailable.set(provider, `${provider}: ${missing}`);
    const known = unavailable.get(provider);
    if (known) {
      reasons.push(known);
      continue;
    }
    try {
      // Only the accelerator is listed: onnxruntime rejects (rather than falls back) when it cannot load it.
      const session = await create(model, { ...base, executionProviders: [provider] });
      return { session, provider, fallbackReason: null };
    } catch (err) {
      const reason = `${provider}: ${message(err).split('\n')[0]}`;
      // A provider whose library is missing stays missing for this process; a model it rejects may be its own fault.
      if (/load|library|not (available|supported|found)|No supported adapters/i.test(reason)) unavailable.set(provider, reason);
      reasons.push(reason);
    }
  }
  try {
    const session = await create(model, { ...base, executionProviders: ['cpu'] });
    const fallbackReason = reasons.length ? `running on CPU; ${reasons.join('; ')}` : null;
    return { session, provider: 'cpu', fallbackReason };
  } catch (err) {
    throw new SessionError(`${describe(model)}: onnxruntime cannot load the model: ${message(err)}`);
  }
}

function create(model: string | Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  return typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);
}
