/** Where bundled resources live: the repo during development, `resources/` when packaged. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface Resources {
  root: string;
  demoBundle: string | null;
  samplesIndex: string | null;
  rendererDir: string;
}

export function resolveResources(root: string): Resources {
  const candidates = (rel: string[]) => rel.map((r) => join(root, r)).find((p) => existsSync(p)) ?? null;
  return {
    root,
    demoBundle: candidates(['demo/bundle', 'native-models/demo/bundle']),
    samplesIndex: candidates(['demo/studies/index.json', 'native-models/demo/studies/index.json']),
    rendererDir: join(root, 'dist', 'renderer'),
  };
}
