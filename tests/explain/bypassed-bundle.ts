/**
 * A model made to fail the sanity check: the demo bundle with its top vision layers gated off (each
 * residual branch multiplied by a scalar 0 that the randomisation keeps, as it keeps every scalar),
 * so a map of a lower layer cannot change when those layers' weights are re-drawn.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadClipBundle } from '../../native-models/clip/bundle';
import { parseModel, serializeModel, type NodeProto } from '../../native-models/onnx/model';
import { DT, makeTensor } from '../../native-models/onnx/tensors';

export const DEMO_BUNDLE = fileURLToPath(new URL('../../native-models/demo/bundle', import.meta.url));
const GATE = 'candor_test/gate_zero';

/** Copies the demo bundle to a new folder with vision layers `gated` bypassed; returns the folder. */
export async function writeBypassedBundle(gated: number[]): Promise<string> {
  const demo = await loadClipBundle(DEMO_BUNDLE, { prefer: 'cpu' });
  const cuts = demo.vision.layerInputs;
  await demo.dispose();
  const dir = mkdtempSync(join(tmpdir(), 'candor-bypassed-'));
  cpSync(DEMO_BUNDLE, dir, { recursive: true });
  const file = join(dir, 'onnx', 'vision_model.onnx');
  const model = parseModel(readFileSync(file), file);
  const g = model.graph!;
  const nodes: NodeProto[] = [];
  const producer = new Map<string, NodeProto>();
  for (const n of g.node ?? []) for (const o of n.output ?? []) producer.set(o, n);
  const residualAdds = new Set<NodeProto>();
  for (const k of gated) {
    const second = producer.get(cuts[k + 1])!;
    const first = (second.input ?? []).map((i) => producer.get(i)).find((n) => n?.opType === 'Add' && (n.input ?? []).includes(cuts[k]));
    if (second.opType !== 'Add' || !first) throw new Error(`layer ${k}: the residual adds were not found`);
    residualAdds.add(first).add(second);
  }
  for (const n of g.node ?? []) {
    if (!residualAdds.has(n)) {
      nodes.push(n);
      continue;
    }
    // The skip is the stream entering the layer (or its middle): the other input is the branch.
    const skip = (n.input ?? []).find((i) => cuts.includes(i) || [...residualAdds].some((a) => a.output?.[0] === i))!;
    const branch = (n.input ?? []).find((i) => i !== skip)!;
    nodes.push({ opType: 'Mul', name: `${n.name}/gate`, input: [branch, GATE], output: [`${branch}/gated`] });
    nodes.push({ ...n, input: (n.input ?? []).map((i) => (i === branch ? `${branch}/gated` : i)) });
  }
  const gated0 = { ...model, graph: { ...g, node: nodes, initializer: [...(g.initializer ?? []), makeTensor(GATE, DT.FLOAT, [], [0])] } };
  writeFileSync(file, serializeModel(gated0));
  return dir;
}
