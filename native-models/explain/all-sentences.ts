/**
 * The whole report at once: every sentence explained against the same image in one job. The image
 * is preprocessed and run through the vision tower once (SharedImageWork), and every sentence's
 * method runs on the same bundle, so the tail and gradient graphs are built once for all. A negated
 * sentence's explanation says so in its warnings (explain()).
 */
import type { ClipBundle } from '../clip/bundle';
import type { ScanImage } from '../clip/preprocess';
import { checkAbort, ExplainError } from './core';
import { explain, sharedImageWork, type ExplainOptions, type ExplanationCore } from './index';
import { reportSentences, type ReportSentence } from './sentences';

export interface SentenceExplanation {
  sentence: ReportSentence;
  explanation: ExplanationCore;
}

export async function explainSentences(bundle: ClipBundle, image: ScanImage, report: string, opts: ExplainOptions): Promise<SentenceExplanation[]> {
  const sentences = reportSentences(report);
  if (sentences.length === 0) throw new ExplainError('the report has no sentences to explain');
  const shared = sharedImageWork();
  const out: SentenceExplanation[] = [];
  for (const [i, sentence] of sentences.entries()) {
    checkAbort(opts.signal);
    const n = sentences.length;
    const explanation = await explain(bundle, image, sentence.text, { ...opts, shared, onProgress: (f, stage) => opts.onProgress?.((i + f) / n, `sentence ${i + 1}/${n}: ${stage}`) });
    out.push({ sentence, explanation });
  }
  return out;
}
