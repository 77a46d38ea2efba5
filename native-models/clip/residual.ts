/**
 * Finds the residual-stream tensor entering each encoder layer of a transformer tower, by
 * structure alone (names are only used in error messages): a pre-LN block is
 * `h' = h + attn(LN1(h)); h'' = h' + mlp(LN2(h'))`, so the residual adds are the `Add` nodes
 * one of whose inputs also feeds a LayerNorm, and they form a chain (output → skip input of
 * the next), two per layer. Works for Hugging Face / Optimum and open_clip exports, with
 * LayerNorm either fused (`LayerNormalization`) or decomposed (`ReduceMean` + `Sub` …).
 */
import type { onnx } from 'onnx-proto';
import { UserInputError } from '../errors';

export class ResidualDiscoveryError extends UserInputError {}

/** Tensors that are the input X of a LayerNorm. */
function layerNormInputs(nodes: onnx.INodeProto[]): Set<string> {
  const out = new Set<string>();
  const reduceMeanOut = new Map<string, string>(); // output → input
  for (const n of nodes) {
    const op = n.opType ?? '';
    const ins = n.input ?? [];
    if (op === 'LayerNormalization' || op === 'SkipLayerNormalization' || op === 'SimplifiedLayerNormalization') {
      if (ins[0]) out.add(ins[0]);
    } else if (op === 'ReduceMean' && ins[0] && n.output?.[0]) {
      reduceMeanOut.set(n.output[0], ins[0]);
    }
  }
  for (const n of nodes) {
    if (n.opType !== 'Sub') continue;
    const [a, b] = n.input ?? [];
    if (a && b && reduceMeanOut.get(b) === a) out.add(a);
  }
  return out;
}

/**
 * Returns `layers + 1` tensor names: [i] = the residual stream entering layer i (0-based),
 * [layers] = the encoder output.
 */
export function discoverResidualStream(nodes: onnx.INodeProto[], label: string): string[] {
  const lnIn = layerNormInputs(nodes);
  const bySkip = new Map<string, string>(); // skip input → add output
  const addOutputs = new Set<string>();
  for (const n of nodes) {
    if (n.opType !== 'Add') continue;
    const ins = n.input ?? [];
    if (ins.length !== 2) continue;
    const skips = ins.filter((t) => lnIn.has(t));
    if (skips.length !== 1 || !n.output?.[0]) continue;
    bySkip.set(skips[0], n.output[0]);
    addOutputs.add(n.output[0]);
  }
  let best: string[] = [];
  for (const start of bySkip.keys()) {
    if (addOutputs.has(start)) continue;
    const chain = [start];
    let cur = start;
    const seen = new Set<string>([start]);
    while (bySkip.has(cur)) {
      cur = bySkip.get(cur) as string;
      if (seen.has(cur)) break;
      seen.add(cur);
      chain.push(cur);
    }
    if (chain.length > best.length) best = chain;
  }
  const adds = best.length - 1;
  if (adds < 2 || adds % 2 !== 0) {
    throw new ResidualDiscoveryError(
      `${label}: could not find the residual stream of a pre-LayerNorm transformer (found a chain of ${adds} residual adds). ` +
        'Name the tensors entering each layer in nib.json ("vision_layer_input_tensors" / "text_layer_input_tensors").',
    );
  }
  return best.filter((_, i) => i % 2 === 0);
}
