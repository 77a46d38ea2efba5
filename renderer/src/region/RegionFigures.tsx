import { describeRegion, methodLabel, readableLocalisation, type LocalisationResult, type Method, type ReaderRegion, type Region } from '../../../electron/api/contract';

/** One map's figures against the region: label, value and what the value means (the same lines as the PDF). */
function FigureRows({ result, idPrefix }: { result: Pick<LocalisationResult, 'metrics' | 'problem'>; idPrefix: string }) {
  if (!result.metrics) return <p className="muted small" data-testid={`${idPrefix}problem`}>No figures: {result.problem}</p>;
  return (
    <table className="loc-figures">
      <tbody>
        {readableLocalisation(result.metrics).map((l) => (
          <tr key={l.key}>
            <th>{l.label}</th>
            <td>
              <span className="value" data-testid={`${idPrefix}${l.key}`}>{l.value}</span>
              {l.note ? <span className="muted">{l.note}</span> : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The region in words and, per explanation on screen, how its map agrees with it. */
export function LocalisationPanel({ region, results, methods, error }: { region: Region; results: LocalisationResult[] | null; methods: Method[]; error: string | null }) {
  return (
    <div className="localisation" data-testid="localisation">
      <div className="small"><strong>Your region</strong>: <span data-testid="region-description">{describeRegion(region)}</span></div>
      {error ? <div className="inline-error" role="alert" data-testid="localisation-error">{error}</div> : null}
      {!results && !error ? <p className="muted small">Measuring…</p> : null}
      <div className="localisation-sides">
        {(results ?? []).map((r, i) => (
          <div key={r.explanationId} data-testid={`localisation-${i}`}>
            <div className="small"><strong>{methods[i] ? methodLabel(methods[i]!) : 'Map'}</strong> against your region</div>
            <FigureRows result={r} idPrefix={`loc-${i}-`} />
          </div>
        ))}
      </div>
    </div>
  );
}

/** A recorded finding's region and figures, as recorded (audit view). */
export function RecordedRegion({ region, idPrefix }: { region: ReaderRegion | null; idPrefix: string }) {
  if (!region) return <p className="muted small" data-testid={`${idPrefix}no-region`}>No region was marked with this finding.</p>;
  return (
    <div className="localisation" data-testid={`${idPrefix}region`}>
      <div className="small"><strong>Reader’s region</strong>: <span data-testid={`${idPrefix}region-description`}>{describeRegion(region.region)}</span></div>
      <FigureRows result={{ metrics: region.metrics, problem: null }} idPrefix={`${idPrefix}loc-`} />
    </div>
  );
}
