/**
 * Finds the hidden state entering each encoder layer of a transformer tower, by structure alone
 * (names are only used in error messages). Two block layouts are recognised:
 *
 * - pre-LN (CLIP, ViT, SigLIP): `h' = h + attn(LN1(h)); h'' = h' + mlp(LN2(h'))`. The residual adds
 *   are the `Add` nodes one of whose inputs also feeds a LayerNorm; they chain (output → skip input
 *   of the next), two per layer, and the stream entering layer L is every other link of the chain.
 * - post-LN (BERT): `a = LN(h + attn(h)); h' = LN(a + mlp(a))`. There is no such chain: a residual
 *   add's output goes *into* a LayerNorm, and the stream between layers is that LayerNorm's output.
 *   The links are `Add(s, f(s))` with `s` a LayerNorm output and the sum a LayerNorm input, linked
 *   s → that LayerNorm's output; two per layer, starting at the embeddings' LayerNorm output.
 *
 * The longer chain wins (a pre-LN tower has no post-LN chain longer than one link and vice versa).
 * LayerNorm may be fused (`LayerNormalization`) or decomposed (`ReduceMean`, `Sub`, `Pow`, …).
 */
import { UserInputError } from '../errors';
import { GraphIndex } from '../onnx/graph-index';
import { layerNormSites, type LayerNormSite } from './layernorm';
import type { GraphProto } from '../onnx/model';

export class ResidualDiscoveryError extends UserInputError {}

export type BlockLayout = 'pre-ln' | 'post-ln';

export interface ResidualStream {
  /** [i] = the hidden state entering layer i (0-based); [layers] = the encoder output. */
  tensors: string[];
  layout: BlockLayout;
}

/** The longest chain through `next` (link from → to) that starts at a tensor no link produces. */
function longestChain(next: Map<string, string>): string[] {
  const targets = new Set(next.values());
  let best: string[] = [];
  for (const start of next.keys()) {
    if (targets.has(start)) continue;
    const chain = [start];
    const seen = new Set([start]);
    let cur = start;
    while (next.has(cur)) {
      cur = next.get(cur) as string;
      if (seen.has(cur)) break;
      seen.add(cur);
      chain.push(cur);
    }
    if (chain.length > best.length) best = chain;
  }
  return best;
}

function preLnChain(index: GraphIndex, norms: LayerNormSite[]): string[] {
  const lnIn = new Set(norms.map((s) => s.input));
  const bySkip = new Map<string, string>();
  for (const n of index.nodes) {
    const ins = n.input ?? [];
    if (n.opType !== 'Add' || ins.length !== 2 || !n.output?.[0]) continue;
    const skips = ins.filter((t) => lnIn.has(t));
    if (skips.length === 1) bySkip.set(skips[0], n.output[0]);
  }
  return longestChain(bySkip);
}

function postLnChain(index: GraphIndex, norms: LayerNormSite[]): string[] {
  const outOf = new Map(norms.map((s) => [s.input, s.output]));
  const skipNorms = index.nodes.filter((n) => n.opType === 'SkipLayerNormalization' && n.output?.[0]);
  const lnOut = new Set([...norms.map((s) => s.output), ...skipNorms.map((n) => n.output![0])]);
  const links = new Map<string, string>();
  for (const n of index.nodes) {
    const ins = n.input ?? [];
    const o = n.output?.[0];
    if (n.opType !== 'Add' || ins.length !== 2 || !o || !outOf.has(o)) continue;
    const from = ins.filter((t) => lnOut.has(t));
    if (from.length === 1) links.set(from[0], outOf.get(o) as string);
  }
  // onnxruntime's fused post-LN block: SkipLayerNormalization(x, skip) = LN(x + skip).
  for (const n of skipNorms) {
    const from = (n.input ?? []).slice(0, 2).filter((t) => lnOut.has(t));
    if (from.length === 1) links.set(from[0], n.output![0]);
  }
  return longestChain(links);
}

/** The hidden state entering every layer, and which block layout the tower has. */
export function discoverResidualStream(graph: GraphProto, label: string): ResidualStream {
  const index = new GraphIndex(graph);
  const norms = layerNormSites(index);
  const pre = preLnChain(index, norms);
  const post = postLnChain(index, norms);
  const [chain, layout]: [string[], BlockLayout] = post.length > pre.length ? [post, 'post-ln'] : [pre, 'pre-ln'];
  const adds = chain.length - 1;
  if (adds < 2 || adds % 2 !== 0) {
    throw new ResidualDiscoveryError(
      `${label}: could not find the hidden state entering each layer: neither a pre-LayerNorm chain of residual adds (found ${Math.max(0, pre.length - 1)}) ` +
        `nor a post-LayerNorm chain of LayerNorm(x + f(x)) blocks (found ${Math.max(0, post.length - 1)}), two per layer. ` +
        'Name the tensors entering each layer in nib.json ("vision_layer_input_tensors" / "text_layer_input_tensors").',
    );
  }
  return { tensors: chain.filter((_, i) => i % 2 === 0), layout };
}
