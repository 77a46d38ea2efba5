import { useEffect, useRef, type ReactNode } from 'react';
import type { Explanation } from '../../../electron/api/contract';
import { ActionButton } from '../actions/ActionButton';
import type { Action } from '../actions/bindings';
import type { ActionId } from '../actions/table';
import { sentence } from '../errors';
import { MetricsTable, ShadedText, Warnings } from '../report/ShadedText';
import { SanityResult } from './SanityResult';
import { SentenceList } from './SentenceList';
import { describeExplanation, type SettingsInput } from './settings';
import { SettingsForm } from './SettingsForm';
import type { JobState, Phase } from './useExplainJob';

interface Props {
  settings: SettingsInput;
  onSettings: (patch: Partial<SettingsInput>) => void;
  /** The settings key of the form now, to tell a result made with other settings. */
  settingsKey: string;
  job: JobState;
  actions: Record<ActionId, Action>;
  /** Brings one of the sentences explained at once to the viewer. */
  onShowSentence: (e: Explanation) => void;
}

/** What happened to the last request: progress, a failure acted on by its code, or a quiet cancel. */
function Status({ phase }: { phase: Phase }): ReactNode {
  switch (phase.state) {
    case 'running':
      return (
        <div className="progress" data-testid="explain-progress">
          <progress max={1} value={phase.progress} />
          <span className="small">{phase.label}: {phase.stage} · {Math.round(phase.progress * 100)}%</span>
        </div>
      );
    case 'failed':
      return (
        <div className="inline-error" role="alert" data-testid="explain-error">
          {phase.code === 'unavailable' ? `The model is unavailable: ${sentence(phase.message)} ` : phase.code === 'bad-input' ? `${sentence(phase.message)} ` : `Explanation failed: ${sentence(phase.message)} `}
          The scan and the report are unchanged{phase.code === 'unavailable' ? '; explanations run again once the model loads.' : '; adjust the settings or the text and try again.'}
        </div>
      );
    case 'cancelled':
      return <div className="muted" data-testid="explain-cancelled">Explanation cancelled.</div>;
    case 'idle':
      return null;
  }
}

/** One result; a new one is scrolled into view in the side panel, the words first. */
function Result({ e, idPrefix = '' }: { e: Explanation; idPrefix?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  // Chromium's scroll methods return a promise: the effect must not return it as its cleanup.
  useEffect(() => {
    ref.current?.scrollIntoView({ block: 'nearest' });
  }, [e.id]);
  return (
    <>
      <div ref={ref} className="result">
        <Warnings explanation={e} idPrefix={idPrefix} />
        <SanityResult explanation={e} idPrefix={idPrefix} />
        <ShadedText explanation={e} idPrefix={idPrefix} />
      </div>
      <MetricsTable explanation={e} idPrefix={idPrefix} />
    </>
  );
}

/** The explanation settings, the run and its status, and the result with the settings it was made with. */
export function ExplainPanel({ settings, onSettings, settingsKey, job, actions, onShowSentence }: Props) {
  const { explanation, comparison, shownKey, phase } = job;
  return (
    <section className="panel-section" data-testid="explain-panel">
      <h3>Explain</h3>
      <SettingsForm settings={settings} onChange={onSettings} />
      <div className="explain-actions">
        <ActionButton action={actions.explain} />
        <ActionButton action={actions.explainAll} />
        <ActionButton action={actions.cancel} />
      </div>
      <Status phase={phase} />
      {job.sentences ? <SentenceList sentences={job.sentences} shown={explanation} onShow={onShowSentence} /> : null}
      {explanation ? (
        <>
          <div className="shown-settings" data-testid="explain-shown" title="The settings this result was made with">{describeExplanation(explanation)}</div>
          {shownKey !== settingsKey && phase.state !== 'running' ? (
            <div className="stale" role="status" data-testid="explain-stale">
              This is the {describeExplanation(explanation)} result; the settings have changed since. Click a sentence or Explain to run them.
            </div>
          ) : null}
          <Result e={explanation} />
        </>
      ) : null}
      {comparison ? (
        <details open>
          <summary data-testid="compare-shown">Comparison: {describeExplanation(comparison)}</summary>
          <Result e={comparison} idPrefix="compare-" />
        </details>
      ) : null}
    </section>
  );
}
