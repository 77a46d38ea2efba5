/**
 * What each action of the table does, given the workspace's state and setters. Pure: the App
 * builds the context on every render, the key handler and the buttons call the same `run`.
 */
import type { ScanSummary } from '../../../electron/api/contract';
import { initialWindow, presetWindow, type LabelledPreset } from '../viewer/presets';
import { actualSizeTransform, zoomAbout } from '../viewer/transform';
import type { Display } from '../viewer/Viewer';
import { ACTIONS, type ActionId, type ActionSpec } from './table';

export interface ActionContext {
  scan: ScanSummary | null;
  presets: LabelledPreset[];
  onDisplay: (update: (d: Display) => Display) => void;
  /** The viewer's size in CSS pixels, or null while none is shown. */
  stageSize: () => { width: number; height: number } | null;
  interpolation: { smooth: boolean; toggle(): void };
  frames: { count: number; step(delta: number): void; cine: boolean; toggleCine(): void };
  overlay: { present: boolean; toggle(): void; opacity(delta: number): void; threshold(delta: number): void };
  explain: { ready: boolean; running: boolean; selection: boolean; run(): void; runAll(): void; cancel(): void; toggleCompare(): void };
  /** The finding form's record, and the findings recorded in this window for the PDF export. */
  finding: { record(): void; recorded: number; exportPdf(): void };
  /** The reader's region tool (off, box, outline) and its region. */
  region: { tool: 'off' | 'box' | 'outline'; present: boolean; cycle(): void; clear(): void };
  toggleAudit(): void;
  showDialog(which: 'help' | 'tags' | 'pacs'): void;
}

export interface Action extends ActionSpec {
  run(key?: string): void;
  enabled(): boolean;
  /** Whether its button is drawn now (cine only for multi-frame scans). */
  shown(): boolean;
  /** The button's text now, when it changes with the state. */
  caption(): string;
  pressed?: boolean;
}

type Binding = Pick<Action, 'run'> & Partial<Pick<Action, 'enabled' | 'shown' | 'caption' | 'pressed'>>;

const ZOOM_STEP = 1.25;

export function applyPreset(onDisplay: ActionContext['onDisplay'], p: LabelledPreset): void {
  onDisplay((d) => ({ ...d, win: presetWindow(p) }));
}

export function bindActions(c: ActionContext): Record<ActionId, Action> {
  const hasScan = c.scan !== null;
  const zoom = (factor: number) => {
    const size = c.stageSize();
    c.onDisplay((d) => (d.transform && size ? { ...d, transform: zoomAbout(d.transform, factor, size.width / 2, size.height / 2) } : d));
  };
  const scanOnly = { enabled: () => hasScan };
  const bindings: Record<ActionId, Binding> = {
    preset: {
      ...scanOnly,
      run: (key) => {
        const p = c.presets.find((x) => String(x.key) === key);
        if (p) applyPreset(c.onDisplay, p);
      },
    },
    invert: { ...scanOnly, run: () => c.onDisplay((d) => ({ ...d, invert: !d.invert })) },
    fit: { ...scanOnly, run: () => c.onDisplay((d) => ({ ...d, transform: null })) },
    actualSize: {
      ...scanOnly,
      run: () => {
        const size = c.stageSize();
        c.onDisplay((d) => (d.transform && size ? { ...d, transform: actualSizeTransform(d.transform, size.width, size.height) } : d));
      },
    },
    zoomIn: { ...scanOnly, run: () => zoom(ZOOM_STEP) },
    zoomOut: { ...scanOnly, run: () => zoom(1 / ZOOM_STEP) },
    reset: {
      ...scanOnly,
      run: () => {
        const s = c.scan;
        if (s) c.onDisplay(() => ({ win: initialWindow(s), invert: s.invertedByDefault, transform: null }));
      },
    },
    interpolation: { run: c.interpolation.toggle, caption: () => (c.interpolation.smooth ? 'Smooth' : 'Nearest'), pressed: !c.interpolation.smooth },
    tags: { ...scanOnly, run: () => c.showDialog('tags') },
    cine: { enabled: () => c.frames.count > 1, shown: () => c.frames.count > 1, run: c.frames.toggleCine, caption: () => (c.frames.cine ? 'Pause' : 'Play') },
    nextFrame: { enabled: () => c.frames.count > 1, run: () => c.frames.step(1) },
    prevFrame: { enabled: () => c.frames.count > 1, run: () => c.frames.step(-1) },
    toggleOverlay: { enabled: () => c.overlay.present, run: c.overlay.toggle },
    opacityUp: { enabled: () => c.overlay.present, run: () => c.overlay.opacity(0.1) },
    opacityDown: { enabled: () => c.overlay.present, run: () => c.overlay.opacity(-0.1) },
    thresholdUp: { enabled: () => c.overlay.present, run: () => c.overlay.threshold(0.05) },
    thresholdDown: { enabled: () => c.overlay.present, run: () => c.overlay.threshold(-0.05) },
    explain: {
      enabled: () => c.explain.ready && !c.explain.running,
      run: c.explain.run,
      caption: () => (c.explain.selection ? 'Explain selection' : 'Explain report'),
    },
    explainAll: { enabled: () => c.explain.ready && !c.explain.running, run: c.explain.runAll },
    cancel: { enabled: () => c.explain.running, shown: () => c.explain.running, run: c.explain.cancel },
    compare: { run: c.explain.toggleCompare },
    recordFinding: { run: c.finding.record },
    audit: { run: c.toggleAudit },
    exportPdf: { enabled: () => c.finding.recorded > 0, run: c.finding.exportPdf, caption: () => `Export session PDF${c.finding.recorded ? ` (${c.finding.recorded})` : ''}` },
    pacs: { run: () => c.showDialog('pacs') },
    help: { run: () => c.showDialog('help') },
    regionTool: { ...scanOnly, run: c.region.cycle, caption: () => (c.region.tool === 'off' ? 'Region' : c.region.tool === 'box' ? 'Region: box' : 'Region: outline'), pressed: c.region.tool !== 'off' },
    clearRegion: { shown: () => c.region.present, run: c.region.clear },
  };
  const out = {} as Record<ActionId, Action>;
  for (const spec of ACTIONS) {
    const b = bindings[spec.id];
    out[spec.id] = { ...spec, enabled: () => true, shown: () => true, caption: () => spec.label, ...b };
  }
  return out;
}
