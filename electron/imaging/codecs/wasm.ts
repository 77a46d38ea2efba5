/**
 * Loads the Emscripten codec modules once per thread, silenced (OpenJPEG prints [INFO] lines),
 * and runs one decode with an embind decoder so that it is always freed. A wasm trap (abort,
 * out of memory) leaves a module unusable, so the module is dropped and re-created next time.
 */
import { describeThrown } from '../errors';
import { UserInputError } from '../../../native-models/errors';

const quiet = { print: () => undefined, printErr: () => undefined };

type Loader<M> = () => Promise<M>;

export function lazyModule<M extends EmscriptenCodecModule>(load: (options: EmscriptenFactoryOptions) => Promise<M>): {
  get: Loader<M>;
  reset: () => void;
} {
  let pending: Promise<M> | null = null;
  return {
    get: () => (pending ??= load(quiet)),
    reset: () => {
      pending = null;
    },
  };
}

export class CodecFailure extends UserInputError {}

/** Message text for what a codec threw: C++ exceptions surface as numbers (pointers). */
export function codecMessage(module: EmscriptenCodecModule, err: unknown): string {
  if (typeof err === 'number') {
    try {
      const msg = module.getExceptionMessage?.(err);
      if (msg) return msg.filter(Boolean).join(': ');
    } catch {
      // fall through to the generic text
    }
    return 'the compressed data is corrupt or truncated';
  }
  return describeThrown(err);
}

export async function withDecoder<M extends EmscriptenCodecModule, D extends WasmDecoder, T>(
  lazy: { get: Loader<M>; reset: () => void },
  create: (m: M) => D,
  encoded: Uint8Array,
  run: (decoder: D) => T,
): Promise<T> {
  const module = await lazy.get();
  let decoder: D | null = null;
  try {
    decoder = create(module);
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    return run(decoder);
  } catch (err) {
    if (err instanceof WebAssembly.RuntimeError || (err instanceof Error && /abort|memory/i.test(err.message))) lazy.reset();
    throw new CodecFailure(codecMessage(module, err));
  } finally {
    try {
      decoder?.delete();
    } catch {
      lazy.reset();
    }
  }
}
