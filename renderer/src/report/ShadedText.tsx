import { useMemo, useState } from 'react';
import { SIMILARITY_INFO, methodLabel, readableMetrics, readableParams, type Explanation } from '../../../electron/api/contract';
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
      <div className="similarity" data-testid={`${idPrefix}similarity`} title={SIMILARITY_INFO.scale}>
        <span>
          {SIMILARITY_INFO.label} <strong>{s.toFixed(3)}</strong> <span className="muted">({SIMILARITY_INFO.scale})</span>
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

/** Method, parameters and faithfulness metrics of one explanation, under the same readable names as the PDF. */
export function MetricsTable({ explanation, idPrefix = '' }: { explanation: Explanation; idPrefix?: string }) {
  const e = explanation;
  const rows: { key: string; label: string; value: string; note?: string | null; hint?: string }[] = [
    { key: 'method', label: 'Method', value: methodLabel(e.method) },
    ...readableParams(e).map((p) => ({ ...p, key: `param-${p.key}` })),
    ...readableMetrics(e.metrics).map((m) => ({ ...m, key: `metric-${m.key}`, hint: m.how })),
    { key: 'time', label: 'Run time', value: Object.entries(e.timings).map(([k, v]) => `${k.replace(/Ms$/, '')} ${Math.round(v)} ms`).join(' · ') },
    { key: 'provider', label: 'Provider', value: e.provider },
    { key: 'model', label: 'Model', value: `${e.model.name} · ${e.model.sha256.slice(0, 12)}`, hint: `SHA-256 ${e.model.sha256}` },
  ];
  return (
    <table className="kv metrics" data-testid={`${idPrefix}metrics`}>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key} title={r.hint}>
            <th>{r.label}</th>
            <td>
              {r.value}
              {r.note ? <div className="muted small">{r.note}</div> : null}
            </td>
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
