/**
 * Child process for the time-zone test: renders the PDF of the findings named on the command line
 * from the audit file, over a fixed grey scan, and writes it to the output file. Run with another
 * TZ, or with shifted-clock.ts preloaded, it must still write the same bytes.
 */
import { writeFileSync } from 'node:fs';
import { AuditStore } from '../../db/audit-store';
import { pdfInputsFor } from '../../electron/report/finding-report';
import { renderFindingsPdf } from '../../electron/report/pdf';

const [dbFile, outFile, ...ids] = process.argv.slice(2) as [string, string, ...string[]];
const store = AuditStore.open(dbFile, { readOnly: true });
const scanImage = { width: 64, height: 48, gray: Uint8Array.from({ length: 64 * 48 }, (_, i) => (i * 7) % 251) };
const inputs = (await pdfInputsFor(store, ids, { includeIdentifying: false })).map((p) => ({ ...p, scanImage }));
writeFileSync(outFile, await renderFindingsPdf(inputs));
store.close();
