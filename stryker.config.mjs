// Mutation testing of the modules whose wrong answers would be silent (npm run mutation; slow, so
// not part of npm test). StrykerJS with the tap runner: every test file runs as one "test" under
// node:test (which prints TAP when its output is not a terminal), tsx as the loader. The modules
// are tested in groups (CANDOR_MUTATION_GROUP, set by tests/mutation/run.mjs), each against only
// the fast test files that exercise it; with per-test coverage a mutant runs only the files of its
// group that reached it, stopping at the first that fails. Results are kept per group in an
// incremental file, so a rerun tests only mutants whose code or tests changed. run.mjs merges the
// groups into reports/mutation/mutation.json (+ .html) and scores.mjs checks the scores per file.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

/** Module → the fast test files that exercise it (the run's test list is their union). */
export const GROUPS = {
  explain: {
    mutate: ['native-models/explain/nib.ts', 'native-models/explain/core.ts', 'native-models/explain/maps.ts', 'native-models/explain/words.ts'],
    tests: [
      'tests/explain/words-units.test.ts', 'tests/explain/maps.test.ts', 'tests/explain/core-units.test.ts', 'tests/clip/preprocess.test.ts',
      'tests/explain/unicode-words.test.ts', 'tests/explain/nib-reference.test.ts', 'tests/explain/baselines.test.ts', 'tests/explain/vocabulary.test.ts',
    ],
  },
  onnx: {
    mutate: ['native-models/onnx/gradient-rules.ts', 'native-models/onnx/autodiff.ts'],
    tests: [
      'tests/onnx/autodiff-units.test.ts', 'tests/onnx/errors.test.ts', 'tests/onnx/grad-rules-coverage.test.ts', 'tests/onnx/autodiff.test.ts', 'tests/onnx/objective.test.ts',
      'tests/onnx/grad-rules.test.ts',
    ],
  },
  /** The onnxruntime lowering of gradient graphs (FusedMatMul for transposed weights), and int8 reading it. */
  fusion: {
    mutate: ['native-models/onnx/ort-fusion.ts'],
    tests: ['tests/onnx/ort-fusion.test.ts', 'tests/onnx/quantize.test.ts'],
  },
  imaging: {
    mutate: ['electron/imaging/voi.ts', 'electron/imaging/modality.ts', 'electron/imaging/stored.ts'],
    tests: [
      'tests/imaging/lut-units.test.ts', 'tests/imaging/voi.test.ts', 'tests/imaging/modality-lut-padding.test.ts', 'tests/imaging/odd-frames.test.ts', 'tests/imaging/float-pixels.test.ts',
      'tests/imaging/load-basic.test.ts', 'tests/imaging/semantics.test.ts', 'tests/imaging/stored-units.test.ts',
    ],
  },
  db: {
    mutate: ['db/chain.ts', 'db/canonical.ts'],
    tests: [
      'tests/db/canonical.test.ts', 'tests/db/fast-pass.test.ts', 'tests/db/tamper.test.ts', 'tests/db/audit-store.test.ts', 'tests/db/legacy.test.ts', 'tests/db/legacy-schemas.test.ts',
      'tests/db/parallel-verify.test.ts',
    ],
  },
  clip: {
    mutate: ['native-models/clip/tokenizer.ts'],
    tests: ['tests/clip/tokenizer-units.test.ts', 'tests/clip/bpe-offsets.test.ts', 'tests/clip/preprocess.test.ts', 'tests/explain/unicode-words.test.ts'],
  },
};

// The tests find the shared fixtures from the repository; the sandbox Stryker copies it to is elsewhere.
for (const c of [join(root, 'shared'), resolve(root, '..', 'shared'), resolve(root, '..', '..', 'shared')]) {
  if (!process.env.CANDOR_SHARED && existsSync(join(c, 'fixtures'))) process.env.CANDOR_SHARED = c;
}
process.env.CANDOR_TEST = '1';

const name = process.env.CANDOR_MUTATION_GROUP ?? 'explain';
const group = GROUPS[name];
if (!group) throw new Error(`unknown mutation group ${name} (one of ${Object.keys(GROUPS).join(', ')})`);
const out = `reports/mutation/groups/${name}`;

export default {
  plugins: ['@stryker-mutator/tap-runner'],
  testRunner: 'tap',
  tap: {
    testFiles: group.tests.filter((f) => existsSync(join(root, f))),
    nodeArgs: ['--import', 'tsx', '--expose-gc'],
    forceBail: true,
  },
  mutate: group.mutate,
  coverageAnalysis: 'perTest',
  // No type checker: tsx runs the mutants untyped, and a checker process would take one of the two cores.
  concurrency: 2,
  incremental: true,
  incrementalFile: `${out}/incremental.json`,
  reporters: ['json', 'html', 'clear-text', 'progress-append-only'],
  jsonReporter: { fileName: `${out}/mutation.json` },
  htmlReporter: { fileName: `${out}/mutation.html` },
  clearTextReporter: { reportTests: false, reportMutants: true },
  thresholds: { high: 90, low: 80, break: null },
  timeoutMS: 30000,
  ignorePatterns: ['dist', 'out', 'release', 'reports', 'tests/output', '.tmp', '.stryker-tmp'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
