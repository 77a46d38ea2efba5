/** The engine functions this room uses (native-models/onnx, native-models/runtime), in one place. */
export { cloneModel, externalizeWeights, parseModel, serializeModel, weightsOnDemand, type ModelProto, type NodeProto, type ValueInfoProto } from '../onnx/model';
export { exposeTensors, extractSubgraph } from '../onnx/surgery';
export { appendCosineObjective } from '../onnx/objective';
export { buildGradientModel } from '../onnx/autodiff';
export { createSession } from '../runtime/session';
