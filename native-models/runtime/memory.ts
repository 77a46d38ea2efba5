/**
 * Collects garbage now, where a step has just dropped hundreds of MB (a parsed model, its serialized
 * copy). Those live in ArrayBuffers outside V8's heap, which V8 does not weigh as heap pressure, and
 * onnxruntime's own allocations are invisible to it: left alone they stay until some later
 * collection, while the next tower's session is built beside them (ViT-B/32, measured: peak RSS of
 * loading 1697 MiB without this and openTower's ordering, 1174 MiB with). Waits one turn of the event
 * loop first: an object a WeakRef was made for in the current turn is kept until the turn ends.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | null | undefined;

function collector(): (() => void) | null {
  if (collect !== undefined) return collect;
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return (collect = exposed);
  try {
    // Node's documented way to reach V8's collector without a command-line flag.
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  } catch {
    collect = null;
  }
  return collect;
}

export async function releaseGarbage(): Promise<void> {
  const gc = collector();
  if (!gc) return;
  await new Promise((r) => setImmediate(r));
  gc();
}
