/**
 * Model-parameter randomisation by graph surgery (Adebayo et al. 2018, "Sanity checks for saliency
 * maps"): a copy of a tower whose encoder layers from `from` to its top have their learned weights
 * re-drawn, with no new export. The original model is left untouched.
 *
 * A layer's weights are the float initializers with more than one element read only by the nodes
 * on the paths from the tensor entering the layer to the encoder output (so a constant another
 * layer shares is kept). Scalars stay: in an exported graph they are structure, not learning
 * (attention's 1/√d, GELU's constants, LayerNorm's epsilon).
 */
import type { ModelProto, NodeProto, TensorProto } from '../onnx/model';
import { DT, tensorDims, tensorValues } from '../onnx/tensors';
import { mulberry32 } from '../prng';
import { gaussian } from './core';

/** FNV-1a of a tensor's name, so each tensor draws its own stream from the one seed. */
function nameHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Nodes on a path from `from` to `to` (graph nodes are in topological order, as ONNX requires). */
export function nodesBetween(nodes: readonly NodeProto[], from: string, to: string): Set<NodeProto> {
  const reach = new Set([from]);
  const forward = new Set<NodeProto>();
  for (const n of nodes) {
    if ((n.input ?? []).some((i) => reach.has(i))) {
      forward.add(n);
      for (const o of n.output ?? []) if (o) reach.add(o);
    }
  }
  const needed = new Set([to]);
  const between = new Set<NodeProto>();
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k];
    if (!(n.output ?? []).some((o) => needed.has(o))) continue;
    for (const i of n.input ?? []) if (i) needed.add(i);
    if (forward.has(n)) between.add(n);
  }
  return between;
}

/**
 * A re-initialisation that keeps each tensor's scale: values drawn from a normal distribution with
 * the tensor's own mean and standard deviation (LayerNorm gains stay near 1, biases near their
 * level), so activations keep their range and the map changes because the learned structure is
 * gone, not because the network saturates.
 */
function redraw(t: TensorProto, seed: number): TensorProto {
  const v = tensorValues(t);
  let mean = 0;
  for (const x of v) mean += x;
  mean /= v.length;
  let sq = 0;
  for (const x of v) sq += (x - mean) ** 2;
  const std = Math.sqrt(sq / v.length);
  const normal = gaussian(mulberry32((seed ^ nameHash(t.name ?? '')) >>> 0));
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = mean + std * normal();
  return { name: t.name, dataType: DT.FLOAT, dims: tensorDims(t), rawData: new Uint8Array(out.buffer) };
}

export interface RandomizedModel {
  model: ModelProto;
  /** Names of the initializers re-drawn. */
  tensors: string[];
}

/** The model with every weight between `from` (the tensor entering the lowest layer randomised) and `to` (the encoder output) re-drawn from `seed`. */
export function randomizeBetween(model: ModelProto, from: string, to: string, seed: number): RandomizedModel {
  const g = model.graph;
  const nodes = g?.node ?? [];
  const between = nodesBetween(nodes, from, to);
  const readers = new Map<string, NodeProto[]>();
  for (const n of nodes) for (const i of n.input ?? []) if (i) readers.set(i, [...(readers.get(i) ?? []), n]);
  const tensors: string[] = [];
  const initializer = (g?.initializer ?? []).map((t) => {
    const name = t.name ?? '';
    const users = readers.get(name) ?? [];
    const count = tensorDims(t).reduce((a, b) => a * b, 1);
    if (t.dataType !== DT.FLOAT || count < 2 || users.length === 0 || !users.every((n) => between.has(n))) return t;
    tensors.push(name);
    return redraw(t, seed);
  });
  return { model: { ...model, graph: { ...g, initializer } }, tensors };
}
