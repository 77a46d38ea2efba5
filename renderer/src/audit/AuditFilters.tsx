import { DECISIONS, METHODS, methodLabel } from '../../../electron/api/contract';

export interface Filters {
  reviewer: string;
  study: string;
  method: string;
  search: string;
  from: string;
  to: string;
  decision: string;
}
export const NO_FILTERS: Filters = { reviewer: '', study: '', method: '', search: '', from: '', to: '', decision: '' };

/** Search and filters of the audit log; reviewer and study match exactly in the store, so they are offered as choices. */
export function AuditFilters({ filters, setFilters, known }: { filters: Filters; setFilters: (f: Filters) => void; known: { reviewers: string[]; studies: string[] } }) {
  const set = (k: keyof Filters) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setFilters({ ...filters, [k]: e.target.value });
  return (
    <div className="filters">
      <input data-testid="audit-search" placeholder="Search notes, reviewers, studies…" value={filters.search} onChange={set('search')} />
      <select data-testid="audit-reviewer" value={filters.reviewer} onChange={set('reviewer')} aria-label="Reviewer">
        <option value="">any reviewer</option>
        {known.reviewers.map((r) => <option key={r} value={r}>{r}</option>)}
      </select>
      <select data-testid="audit-study" value={filters.study} onChange={set('study')} aria-label="Study">
        <option value="">any study</option>
        {known.studies.map((r) => <option key={r} value={r}>{r}</option>)}
      </select>
      <select data-testid="audit-method" value={filters.method} onChange={set('method')} aria-label="Method">
        <option value="">any method</option>
        {METHODS.map((m) => <option key={m} value={m}>{methodLabel(m)}</option>)}
      </select>
      <select data-testid="audit-decision" value={filters.decision} onChange={set('decision')} aria-label="Decision">
        <option value="">any decision</option>
        {DECISIONS.map((d) => <option key={d} value={d}>{d}</option>)}
      </select>
      <label className="small">from <input type="date" data-testid="audit-from" value={filters.from} onChange={set('from')} /></label>
      <label className="small">to <input type="date" data-testid="audit-to" value={filters.to} onChange={set('to')} /></label>
      <button onClick={() => setFilters(NO_FILTERS)}>Clear</button>
    </div>
  );
}
