import { formatValue, type Explanation, type SentenceExplanation } from '../../../electron/api/contract';

/** Every sentence explained in one job: its similarity, and whether it denies a finding; a click shows it in the viewer. */
export function SentenceList({ sentences, shown, onShow }: { sentences: SentenceExplanation[]; shown: Explanation | null; onShow: (e: Explanation) => void }) {
  return (
    <div className="sentence-list" data-testid="sentence-list">
      <div className="small"><b>All sentences</b> · image–report similarity · click one to show it</div>
      <ol>
        {sentences.map(({ sentence, explanation }) => (
          <li key={explanation.id}>
            <button type="button" className={explanation.id === shown?.id ? 'sentence-row shown' : 'sentence-row'} data-testid="sentence-row" data-negated={String(sentence.negated)} aria-pressed={explanation.id === shown?.id} onClick={() => onShow(explanation)}>
              <span className="sentence-sim">{formatValue(explanation.similarity, 3)}</span> {sentence.text}
              {sentence.negated ? <span className="negated-tag" title="This sentence denies a finding: its map shows where the model looked for it, not that it is there"> · negated</span> : null}
            </button>
          </li>
        ))}
      </ol>
    </div>
  );
}
