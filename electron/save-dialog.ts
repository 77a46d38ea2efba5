/**
 * Where a PDF report is saved: the user chooses, starting in Documents under the name the report
 * service suggests (its audit entry numbers). Pure parts, so main.ts only calls the dialog.
 */
import { basename, extname, join } from 'node:path';

/** The options of Electron's showSaveDialog for a report (a subset of SaveDialogOptions). */
export function savePdfOptions(documentsDir: string, suggestedName: string) {
  // The name comes from the service; only its last part is used, so it cannot point elsewhere.
  const name = withPdfExtension(basename(suggestedName.replace(/\\/g, '/')) || 'candor-report.pdf');
  return {
    title: 'Save the PDF report',
    defaultPath: join(documentsDir, name),
    buttonLabel: 'Save report',
    filters: [{ name: 'PDF report', extensions: ['pdf'] }],
    properties: ['createDirectory', 'showOverwriteConfirmation'] as ('createDirectory' | 'showOverwriteConfirmation')[],
  };
}

/** Some platforms' dialogs return the name as typed: a report is always a .pdf. */
export function withPdfExtension(path: string): string {
  return extname(path).toLowerCase() === '.pdf' ? path : `${path}.pdf`;
}
