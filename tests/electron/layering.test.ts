/**
 * The house's layering is enforced by eslint (eslint.config.js, LAYERS). These cases lint
 * snippets as if they were files in each room: each forbidden import must be reported by the
 * layering rule, each allowed one must pass, so a rule that silently stops matching fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const RULE = '@typescript-eslint/no-restricted-imports';
const eslint = new ESLint({ cwd: root });

async function layeringErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport const x = y;\n`, { filePath: `${root}/${file}` });
  return result!.messages.filter((m) => m.ruleId === RULE).map((m) => m.message);
}

const forbidden: [file: string, code: string][] = [
  ['native-models/explain/fixture.ts', "import { channels as y } from '../../electron/api/contract';"],
  ['native-models/clip/fixture.ts', "import { AuditStore as y } from '../../db/audit-store';"],
  ['native-models/fixture.ts', "import { app as y } from 'electron';"],
  ['db/fixture.ts', "import { toApiError as y } from '../electron/ipc/handlers';"],
  ['db/fixture.ts', "import type { ScanSummary as y } from '../electron/imaging/types';"],
  ['db/fixture.ts', "import { explain as y } from '../native-models/explain/index';"],
  ['electron/imaging/fixture.ts', "import { createServices as y } from '../services/index';"],
  ['electron/imaging/codecs/fixture.ts', "import { createDispatch as y } from '../../ipc/handlers';"],
  ['electron/imaging/fixture.ts', "import { channels as y } from '../api/contract';"],
  ['renderer/src/fixture.ts', "import { explain as y } from '../../native-models/explain/index';"],
  ['renderer/src/viewer/fixture.ts', "import { writeFindingsPdf as y } from '../../../electron/services/report';"],
  ['renderer/src/fixture.ts', "import type { AuditStore as y } from '../../db/audit-store';"],
  ['renderer/src/fixture.ts', "import { readFileSync as y } from 'node:fs';"],
  ['electron/api/fixture.ts', "import { ClipTokenizer as y } from '../../native-models/clip/tokenizer';"],
  ['electron/api/fixture.ts', "import { createServices as y } from '../services/index';"],
  ['electron/imaging/fixture.ts', "import { writeFindingObjects as y } from '../dicom-export/index';"],
  ['electron/dicom-export/fixture.ts', "import { createServices as y } from '../services/index';"],
  ['electron/dicom-export/fixture.ts', "import { channels as y } from '../api/contract';"],
  ['electron/dicom-export/fixture.ts', "import { AuditStore as y } from '../../db/audit-store';"],
  ['electron/dicom-export/fixture.ts', "import { explain as y } from '../../native-models/explain/index';"],
  ['electron/dicom-export/fixture.ts', "import { renderFindingsPdf as y } from '../report/pdf';"],
  ['electron/dicom-export/fixture.ts', "import { app as y } from 'electron';"],
  ['electron/pacs/fixture.ts', "import { createServices as y } from '../services/index';"],
  ['electron/pacs/fixture.ts', "import { createDispatch as y } from '../ipc/handlers';"],
  ['electron/pacs/fixture.ts', "import { AuditStore as y } from '../../db/audit-store';"],
  ['electron/pacs/fixture.ts', "import { explain as y } from '../../native-models/explain/index';"],
  ['electron/pacs/fixture.ts', "import { app as y } from 'electron';"],
  ['electron/api/fixture.ts', "import { connect as y } from '../pacs/index';"],
];

const allowed: [file: string, code: string][] = [
  ['db/fixture.ts', "import type { Explanation as y } from '../native-models/explain/types';"],
  ['db/fixture.ts', "import { IntegrityError as y } from '../native-models/errors';"],
  ['native-models/explain/fixture.ts', "import { loadClipBundle as y } from '../clip/bundle';"],
  ['electron/imaging/fixture.ts', "import { UserInputError as y } from '../../native-models/errors';"],
  ['renderer/src/fixture.ts', "import { channels as y } from '../../electron/api/contract';"],
  ['renderer/src/overlay/fixture.ts', "import { viridis as y } from '../../../electron/api/colormap';"],
  ['renderer/src/fixture.ts', "import { decodeWire as y } from '../../electron/api/wire';"],
  ['electron/api/fixture.ts', "import type { ScanSummary as y } from '../imaging/types';"],
  ['electron/services/fixture.ts', "import { AuditStore as y } from '../../db/audit-store';"],
  ['electron/dicom-export/fixture.ts', "import { loadScan as y } from '../imaging/index';"],
  ['electron/dicom-export/fixture.ts', "import { composeScanAndOverlay as y } from '../report/overlay';"],
  ['electron/dicom-export/fixture.ts', "import type { RecordedFinding as y } from '../../db/types';"],
  ['electron/dicom-export/fixture.ts', "import { methodLabel as y } from '../../native-models/explain/methods';"],
  ['electron/dicom-export/fixture.ts', "import { UserInputError as y } from '../../native-models/errors';"],
  ['electron/cli/commands/fixture.ts', "import { writeFindingObjects as y } from '../../dicom-export/index';"],
  ['electron/pacs/fixture.ts', "import { PacsNotFoundError as y } from './errors';"],
  ['electron/pacs/fixture.ts', "import { UnavailableError as y } from '../../native-models/errors';"],
  ['electron/pacs/fixture.ts', "import { parseDicomBytes as y } from '../imaging/dicom-file';"],
  ['electron/api/fixture.ts', "import type { StudyMatch as y } from '../pacs/types';"],
  ['electron/services/fixture.ts', "import { connect as y } from '../pacs/index';"],
];

test('every forbidden import across rooms is reported by the layering rule', async () => {
  for (const [file, code] of forbidden) {
    const errors = await layeringErrors(file, code);
    assert.equal(errors.length, 1, `${file}: ${code} should be refused, got ${JSON.stringify(errors)}`);
  }
});

test('the imports the layering allows pass', async () => {
  for (const [file, code] of allowed) {
    assert.deepEqual(await layeringErrors(file, code), [], `${file}: ${code} should be allowed`);
  }
});

test('the repository itself has no layering violation, and no file under db/ or native-models/ imports electron/', async () => {
  const results = await eslint.lintFiles(['db', 'native-models', 'electron', 'renderer/src']);
  const hits = results.flatMap((r) => r.messages.filter((m) => m.ruleId === RULE).map((m) => `${r.filePath}:${m.line} ${m.message}`));
  assert.deepEqual(hits, []);
  assert.ok(results.some((r) => r.filePath.includes('/db/')) && results.some((r) => r.filePath.includes('/native-models/')), 'the lint run saw db/ and native-models/');
});
