import { useMemo, useState } from 'react';
import { methodLabel, type Explanation } from '../../../electron/api/contract';
import { warningsOf, wordShading } from '../explain/attribution';
import { cssColor, textColorOn } from '../overlay/colormap';
import { ColorBar } from '../overlay/ColorBar';
import { segmentText, similarityFraction } from './text';

/** The explained text with every word shaded by its attribution, its score on hover, and the similarity. */
export function ShadedText({ explanation, idPrefix = '' }: { explanation: Explanation; idPrefix?: string }) {
  const [hover, setHover] = useState<string | null>(null);
  const text = explanation.input.text;
  const { segments, skipped } = useMemo(
    () => segmentText(text, explanation.text?.words ?? []),
    [text, explanation.text],
  );
  const s = explanation.similarity;
  const { shaded } = wordShading(explanation);
  return (
    <div className="shaded" data-testid={`${idPrefix}shaded-text`}>
      <div className="similarity" data-testid={`${idPrefix}similarity`} title="Cosine similarity of the image and text embeddings, from −1 to 1">
        <span>
          Image–text similarity <strong>{s.toFixed(3)}</strong> <span className="muted">(cosine, −1…1; higher = the scan and the text agree more)</span>
        </span>
        <div className="similarity-bar"><div style={{ width: `${similarityFraction(s) * 100}%` }} /></div>
      </div>
      {explanation.text ? (
        <>
          <p className="shaded-words" data-testid={`${idPrefix}word-shading`}>
            {segments.map((seg, i) =>
              seg.word && !shaded ? (
                <span key={i} className="word unshaded" data-testid={`${idPrefix}word`} title={`${seg.word.text}: raw ${seg.word.raw.toPrecision(3)}, not shaded (see the warning)`}>
                  {seg.text}
                </span>
              ) : seg.word ? (
                <span
                  key={i}
                  className="word"
                  data-testid={`${idPrefix}word`}
                  data-score={seg.word.normalized}
                  style={{ background: cssColor(seg.word.normalized), color: textColorOn(seg.word.normalized) }}
                  title={`${seg.word.text}: ${seg.word.normalized.toFixed(3)} (raw ${seg.word.raw.toPrecision(3)})`}
                  onMouseEnter={() => setHover(`“${seg.word!.text}” ${seg.word!.normalized.toFixed(3)} (raw ${seg.word!.raw.toPrecision(3)})`)}
                  onMouseLeave={() => setHover(null)}
                >
                  {seg.text}
                </span>
              ) : (
                <span key={i}>{seg.text}</span>
              ),
            )}
          </p>
          {shaded ? (
            <>
              <div className="word-hover" data-testid={`${idPrefix}word-hover`}>{hover ?? 'Hover a word for its score.'}</div>
              <ColorBar label="word attribution" testId={`${idPrefix}word-colorbar`} />
            </>
          ) : null}
          {skipped > 0 ? <div className="muted">{skipped} word scores did not match the text and are not shown.</div> : null}
        </>
      ) : (
        <p className="muted">This explanation has no word scores (target: {explanation.params.target}).</p>
      )}
    </div>
  );
}

/** Readable names for the explainer's faithfulness metrics (NIB paper's evaluation), with how to read them. */
const METRIC_LABELS: Record<string, [string, string]> = {
  vdrop: ['Image: drop in confidence', '% the similarity falls when the scan is masked by the map; lower = more faithful'],
  vincr: ['Image: increase in confidence', '100 when masking by the map raises the similarity, else 0; higher = more faithful'],
  tdrop: ['Text: drop in confidence', '% the similarity falls when the words are weighted by their scores; lower = more faithful'],
  tincr: ['Text: increase in confidence', '100 when weighting the words raises the similarity, else 0; higher = more faithful'],
  deletionAuc: ['Deletion AUC', 'similarity as the most attributed pixels are removed first; lower = more faithful'],
  insertionAuc: ['Insertion AUC', 'similarity as the most attributed pixels are revealed first; higher = more faithful'],
};

/** Faithfulness metrics, timings and parameters of one explanation. */
export function MetricsTable({ explanation, idPrefix = '' }: { explanation: Explanation; idPrefix?: string }) {
  const rows: [string, string, string?][] = [
    ['method', methodLabel(explanation.method)],
    ['layer / steps', `${explanation.params.layer} / ${explanation.params.steps}`],
    ...Object.entries(explanation.metrics).map(([k, v]): [string, string, string?] => [
      METRIC_LABELS[k]?.[0] ?? k,
      Number.isFinite(v) ? v.toFixed(3) : String(v),
      METRIC_LABELS[k]?.[1],
    ]),
    ['time', Object.entries(explanation.timings).map(([k, v]) => `${k.replace(/Ms$/, '')} ${Math.round(v)} ms`).join(' · ')],
    ['provider', explanation.provider],
    ['model', `${explanation.model.name} · ${explanation.model.sha256.slice(0, 12)}`],
  ];
  return (
    <table className="kv" data-testid={`${idPrefix}metrics`}>
      <tbody>
        {rows.map(([k, v, hint]) => (
          <tr key={k} title={hint}>
            <th>{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The explainer's warnings and what the screen leaves undrawn, where the reviewer reads the result. */
export function Warnings({ explanation, idPrefix = '' }: { explanation: Explanation; idPrefix?: string }) {
  const warnings = warningsOf(explanation);
  if (warnings.length === 0) return null;
  return (
    <ul className="warnings" role="status" data-testid={`${idPrefix}explain-warnings`}>
      {warnings.map((w) => (
        <li key={w}>{w}</li>
      ))}
    </ul>
  );
}
