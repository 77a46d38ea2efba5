// Writes the demo eval's localisation phantoms (eval.ts `localisationItems`: the same seeds, size and
// sentences) as a `candor eval --pairs` folder: 12-bit DICOM (the default window first, as eval.ts
// feeds the model), the finding's sentence, its mask (`NAME.mask.png`) and pairs.json naming all three.
// `node --import tsx native-models/demo/eval-pairs.ts OUTDIR [--per-type N] [--size PX]`

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode } from 'fast-png';
import { phantomToDicom } from './dicom-writer';
import { EVAL_SEED_BASE, localisationItems } from './eval';

export interface EvalPair {
  image: string;
  text: string;
  mask: string;
  type: string;
}

export function writeEvalPairs(outDir: string, opts: { perType: number; size: number; seedBase?: number }): EvalPair[] {
  mkdirSync(outDir, { recursive: true });
  const pairs: EvalPair[] = [];
  localisationItems(opts.perType, opts.size, opts.seedBase ?? EVAL_SEED_BASE).forEach((it, i) => {
    const name = `${String(i).padStart(3, '0')}-${it.type}`;
    const { rendered, report } = it.c;
    const sentence = report.sentences.find((s) => s.findingIndex === it.findingIdx);
    if (!sentence) return;
    writeFileSync(join(outDir, `${name}.dcm`), phantomToDicom(rendered, {
      modality: 'DX', patientName: `Phantom^Eval${i}`, patientId: `CANDOR-EVAL-${i}`, accessionNumber: `EVAL${i}`,
      studyDescription: `Chest PA - eval phantom (${it.type})`, studyDate: '20260101', studyTime: '090000', uidLabel: `candor-eval/${name}`, pixelSpacingMm: 1.0,
    }));
    const { mask } = rendered.findings[it.findingIdx];
    const gray = new Uint8Array(mask.length);
    for (let p = 0; p < mask.length; p++) gray[p] = mask[p] ? 255 : 0;
    writeFileSync(join(outDir, `${name}.mask.png`), encode({ width: rendered.width, height: rendered.height, data: gray, channels: 1, depth: 8 }));
    pairs.push({ image: `${name}.dcm`, text: sentence.text, mask: `${name}.mask.png`, type: it.type });
  });
  writeFileSync(join(outDir, 'pairs.json'), `${JSON.stringify(pairs, null, 1)}\n`);
  return pairs;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const num = (name: string, d: number) => (argv.includes(`--${name}`) ? Number(argv[argv.indexOf(`--${name}`) + 1]) : d);
  if (!argv[0] || argv[0].startsWith('--')) throw new Error('usage: eval-pairs.ts OUTDIR [--per-type N] [--size PX]');
  const pairs = writeEvalPairs(argv[0], { perType: num('per-type', 20), size: num('size', 192) });
  console.log(`${pairs.length} pairs written to ${argv[0]}`);
}
