import { useCallback, useEffect, useMemo, useState } from 'react';
import type { AuditRow, ChainStatus } from '../../../electron/api/contract';
import { call } from '../api';
import { errorMessage } from '../errors';
import { NO_FILTERS, type Filters } from './AuditFilters';

/** The log as listed (filtered by the store, decision filtered here), the chain's status at listing, and the choices the filters offer. */
export function useAuditLog() {
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [rows, setRows] = useState<AuditRow[]>([]);
  const [chain, setChain] = useState<ChainStatus | null>(null);
  const [dbPath, setDbPath] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [known, setKnown] = useState<{ reviewers: string[]; studies: string[] }>({ reviewers: [], studies: [] });

  const load = useCallback(async (f: Filters) => {
    try {
      const req = {
        reviewer: f.reviewer || undefined,
        study: f.study || undefined,
        method: f.method || undefined,
        search: f.search || undefined,
        from: f.from || undefined,
        to: f.to || undefined,
      };
      const [res, all] = await Promise.all([call('audit:list', req), call('audit:list', {})]);
      const distinct = (xs: (string | null)[]) => [...new Set(xs.filter((x): x is string => !!x))].sort();
      setKnown({ reviewers: distinct(all.rows.filter((r) => r.findingId).map((r) => r.actor)), studies: distinct(all.rows.map((r) => r.study)) });
      setRows(res.rows);
      setChain(res.chain);
      setDbPath(res.dbPath);
      setError(null);
    } catch (err) {
      setError(`The audit log could not be read: ${errorMessage(err)}`);
    }
  }, []);

  useEffect(() => {
    const t = setTimeout(() => void load(filters), 150);
    return () => clearTimeout(t);
  }, [filters, load]);

  /** Lists again, so the rows show what the file holds now. */
  const reload = useCallback(() => load(filters), [filters, load]);

  const shown = useMemo(() => rows.filter((r) => !filters.decision || r.decision === filters.decision), [rows, filters.decision]);

  return { filters, setFilters, rows: shown, chain, dbPath, error, setError, known, reload };
}

export type AuditLog = ReturnType<typeof useAuditLog>;
