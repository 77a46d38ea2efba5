import { join } from 'node:path';
import { SHARED } from '../shared-fixtures';

export { SHARED };
export const MINI_CLIP = join(SHARED, 'fixtures', 'models', 'mini-clip');
export const MINI_CLIP_ONNX = join(MINI_CLIP, 'onnx');
export const REFERENCE = join(SHARED, 'fixtures', 'reference');
