/**
 * How a tower turns its encoder output [batch, tokens, width] into one embedding, read from the
 * graph after the encoder output: the first operation that mixes or selects tokens decides.
 *
 * - `token`: one position is gathered (CLS at 0 in CLIP / ViT / BERT, the last position in SigLIP's text tower);
 * - `eos`: the position of the highest token id (CLIP's text tower: `argmax(input_ids)`);
 * - `attention`: the tokens are attended over (SigLIP's MAP head: a learned probe as the query);
 * - `mean`: an average over the tokens;
 * - `unknown`: none of these (NIB still runs; only the last-layer shortcut is not taken).
 */
import type { ModelProto, NodeProto } from '../onnx/model';
import { GraphIndex } from '../onnx/graph-index';
import { attrInt, attrInts } from '../onnx/tensors';

export type Pooling =
  | { kind: 'token'; index: number }
  | { kind: 'eos' }
  | { kind: 'attention' }
  | { kind: 'mean' }
  | { kind: 'unknown' };

const TOKEN_AXES = new Set([1, -2]);
const SHAPE_ONLY = new Set(['Shape', 'Size']);

function dependsOnArgMax(index: GraphIndex, name: string): boolean {
  const argmaxOutputs = new Set(index.nodes.filter((n) => n.opType === 'ArgMax').map((n) => n.output?.[0] ?? ''));
  return argmaxOutputs.size > 0 && index.dependsOn(name, argmaxOutputs);
}

function scalarConstant(index: GraphIndex, name: string | undefined): number | null {
  const v = name ? index.constantValues(name) : null;
  return v && v.length === 1 ? v[0] : null;
}

function reducesTokens(n: NodeProto, index: GraphIndex): boolean {
  const axes = attrInts(n, 'axes') ?? (n.input?.[1] ? index.constantValues(n.input[1]) : null);
  return !!axes && axes.some((a) => TOKEN_AXES.has(a));
}

/** The pooling of the tower whose encoder output is `encoderOut`. */
export function detectPooling(model: ModelProto, encoderOut: string): Pooling {
  const index = new GraphIndex(model.graph ?? {});
  // Data computed from the encoder output (shapes read from it do not count).
  const data = new Set([encoderOut]);
  for (const n of index.nodes) {
    const ins = n.input ?? [];
    if (SHAPE_ONLY.has(n.opType ?? '') || !ins.some((i) => data.has(i))) continue;
    const op = n.opType ?? '';
    if (op === 'Gather' && data.has(ins[0])) {
      const axis = attrInt(n, 'axis', 0);
      const k = scalarConstant(index, ins[1]);
      if (TOKEN_AXES.has(axis) && k !== null) return { kind: 'token', index: k };
      if (dependsOnArgMax(index, ins[1])) return { kind: 'eos' };
    }
    if (op === 'Slice' && data.has(ins[0])) {
      const axes = ins[3] ? index.constantValues(ins[3]) : null;
      const starts = ins[1] ? index.constantValues(ins[1]) : null;
      const ends = ins[2] ? index.constantValues(ins[2]) : null;
      const at = axes?.findIndex((a) => TOKEN_AXES.has(a)) ?? -1;
      if (at >= 0 && starts && ends) {
        const s = starts[at];
        const e = ends[at];
        if (e - s === 1 || (s === -1 && e > 1e9)) return { kind: 'token', index: s };
      }
    }
    if (op === 'Softmax') return { kind: 'attention' };
    if ((op === 'ReduceMean' || op === 'ReduceSum') && data.has(ins[0]) && reducesTokens(n, index)) return { kind: 'mean' };
    for (const o of n.output ?? []) if (o) data.add(o);
  }
  return { kind: 'unknown' };
}

export function describePooling(p: Pooling, prefix: number | null): string {
  switch (p.kind) {
    case 'token':
      if (p.index === 0 && prefix !== 0) return 'the first token (CLS)';
      if (p.index === -1) return 'the last position';
      return `token ${p.index}`;
    case 'eos':
      return 'the end-of-text token (position of the highest token id)';
    case 'attention':
      return 'an attention-pooling head (a learned query attending over every token)';
    case 'mean':
      return 'the mean over the tokens';
    default:
      return 'not recognised (NIB still works; the last layer is computed in full)';
  }
}
