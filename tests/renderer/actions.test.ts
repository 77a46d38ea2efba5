/**
 * The actions table: every action is reachable (a key, or a button that is really drawn where the
 * table says), listed in the help overlay, and its keys lead back to it. The components are
 * rendered to HTML by React's own server renderer, so a button the table promises must exist.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { ACTIONS, actionForKey, keysShown, type Place } from '../../renderer/src/actions/table';
import { bindActions, type ActionContext } from '../../renderer/src/actions/bindings';
import { HelpOverlay } from '../../renderer/src/help/HelpOverlay';
import { ViewerBar } from '../../renderer/src/viewer/ViewerBar';
import { Toolbar } from '../../renderer/src/toolbar/Toolbar';
import { ExplainPanel } from '../../renderer/src/explain/ExplainPanel';
import { FindingForm } from '../../renderer/src/finding/FindingForm';
import { RegionTools } from '../../renderer/src/region/RegionTools';
import { DEFAULT_SETTINGS } from '../../renderer/src/explain/settings';
import type { Display } from '../../renderer/src/viewer/Viewer';

/** A workspace state the actions act on: a 4-frame scan on screen, an explanation running. */
function workspace() {
  let display: Display = { win: { center: 40, width: 400 }, invert: false, transform: { zoom: 1, panX: 0, panY: 0 } };
  const log: string[] = [];
  const ctx: ActionContext = {
    scan: { id: 's', fileName: 'ct.dcm', invertedByDefault: false, windows: [], valueRange: { min: -1024, max: 3071 } } as unknown as ActionContext['scan'],
    presets: [{ name: 'Soft tissue', center: 40, width: 400, source: 'modality', key: 1 }, { name: 'Lung', center: -600, width: 1500, source: 'modality', key: 2 }],
    onDisplay: (u) => (display = u(display)),
    stageSize: () => ({ width: 800, height: 600 }),
    interpolation: { smooth: true, toggle: () => log.push('interpolation') },
    frames: { count: 4, step: (d) => log.push(`step ${d}`), cine: false, toggleCine: () => log.push('cine') },
    overlay: { present: true, toggle: () => log.push('overlay'), opacity: (d) => log.push(`opacity ${d}`), threshold: (d) => log.push(`threshold ${d}`) },
    explain: { ready: true, running: true, selection: false, run: () => log.push('explain'), runAll: () => log.push('explainAll'), cancel: () => log.push('cancel'), toggleCompare: () => log.push('compare') },
    finding: { record: () => log.push('record'), recorded: 2, exportPdf: () => log.push('export') },
    region: { tool: 'off', present: true, cycle: () => log.push('region tool'), clear: () => log.push('region clear') },
    toggleAudit: () => log.push('audit'),
    showDialog: (w) => log.push(`dialog ${w}`),
  };
  return { ctx, log, display: () => display };
}

const KEY_EVENT = { ctrlKey: false, metaKey: false, altKey: false };

function eventFor(key: string) {
  return key.startsWith('Mod+') ? { ...KEY_EVENT, key: key.slice(4), ctrlKey: true } : { ...KEY_EVENT, key };
}

test('every action has a key or a button, and every key leads to its own action only', () => {
  const seen = new Map<string, string>();
  for (const a of ACTIONS) {
    assert.ok(a.keys.length > 0 || a.button, `${a.id} has a key or a button`);
    for (const k of a.keys) {
      assert.equal(seen.get(k), undefined, `key ${k} is bound once (${a.id}, ${seen.get(k)})`);
      seen.set(k, a.id);
      assert.equal(actionForKey(eventFor(k))?.id, a.id, `key ${JSON.stringify(k)} runs ${a.id}`);
    }
  }
  assert.equal(actionForKey({ ...KEY_EVENT, key: 'I' })?.id, 'invert', 'letters work with Shift held');
  assert.equal(actionForKey({ ...KEY_EVENT, key: 'i', ctrlKey: true }), null, 'Ctrl+letter is left to the browser');
  assert.equal(actionForKey({ ...KEY_EVENT, key: 'e', altKey: true }), null);
  const ids = ACTIONS.map((a) => a.id);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
  const testIds = ACTIONS.flatMap((a) => (a.button ? [a.button.testId] : []));
  assert.equal(new Set(testIds).size, testIds.length, 'button test ids are unique');
});

test('the help overlay lists every action with its keys', () => {
  const html = renderToStaticMarkup(createElement(HelpOverlay, { onClose: () => undefined }));
  const rows = html.match(/<tr /g) ?? [];
  assert.equal(rows.length, ACTIONS.length);
  for (const a of ACTIONS) {
    assert.ok(html.includes(`data-action="${a.id}"`), `${a.id} has a row`);
    assert.ok(html.includes(a.help.replace(/&/g, '&amp;')), `${a.id}: its help text`);
    if (a.keys.length) assert.ok(html.includes(`<kbd>${keysShown(a)}</kbd>`), `${a.id}: its keys ${keysShown(a)}`);
  }
});

test('every button the table places is drawn there, by the bound action', () => {
  const { ctx } = workspace();
  const actions = bindActions(ctx);
  const job = { phase: { state: 'running' as const, progress: 0.5, stage: 'image', label: 'NIB' }, explanation: null, comparison: null, shownKey: null };
  const drawn: Record<Place, string> = {
    viewer: renderToStaticMarkup(createElement(ViewerBar, { actions, presets: ctx.presets, win: { center: 40, width: 400 }, onDisplay: ctx.onDisplay, range: { min: -1024, max: 3071 }, frames: 4, frameNo: 1, setFrameNo: () => undefined })),
    toolbar: renderToStaticMarkup(createElement(Toolbar, { info: null, modelProblem: null, provider: null, mode: 'review', setMode: () => undefined, actions, path: '', setPath: () => undefined, busy: false, onOpen: () => undefined, onBrowse: null })),
    explain: renderToStaticMarkup(createElement(ExplainPanel, { settings: DEFAULT_SETTINGS, onSettings: () => undefined, settingsKey: '', job, actions, onShowSentence: () => undefined })),
    region: renderToStaticMarkup(createElement(RegionTools, { actions })),
    finding: renderToStaticMarkup(createElement(FindingForm, { explanation: null, scanKey: null, studyLabel: '', region: null, onRecorded: () => undefined })),
  };
  for (const a of ACTIONS) {
    if (!a.button) continue;
    assert.ok(drawn[a.button.place].includes(`data-testid="${a.button.testId}"`), `${a.id}: button ${a.button.testId} in the ${a.button.place} bar`);
  }
  assert.match(drawn.toolbar, /Export session PDF \(2\)/, 'a button shows the bound caption');
});

test('the bound actions act on the workspace: keys and buttons run the same function', () => {
  const { ctx, log, display } = workspace();
  const a = bindActions(ctx);
  a.invert.run();
  assert.equal(display().invert, true);
  a.preset.run('2');
  assert.deepEqual(display().win, { center: -600, width: 1500 });
  a.zoomIn.run();
  assert.equal(display().transform!.zoom, 1.25);
  // Zoom about the viewer's centre: the centre's image point stays put.
  assert.ok(Math.abs((400 - display().transform!.panX) / 1.25 - 400) < 1e-9);
  a.actualSize.run();
  assert.equal(display().transform!.zoom, 1);
  a.fit.run();
  assert.equal(display().transform, null);
  a.reset.run();
  assert.deepEqual(display(), { win: { center: 1023.5, width: 4095 }, invert: false, transform: null });
  for (const id of ['interpolation', 'cine', 'nextFrame', 'toggleOverlay', 'opacityDown', 'explain', 'cancel', 'compare', 'recordFinding', 'audit', 'exportPdf', 'help', 'tags'] as const) a[id].run();
  assert.deepEqual(log, ['interpolation', 'cine', 'step 1', 'overlay', 'opacity -0.1', 'explain', 'cancel', 'compare', 'record', 'audit', 'export', 'dialog help', 'dialog tags']);
  assert.equal(a.explain.enabled(), false, 'no second explanation while one runs');
  assert.equal(a.cancel.enabled(), true);
  assert.equal(a.interpolation.caption(), 'Smooth');
});

test('Shift+E explains every sentence; E alone still explains the selection or report', () => {
  assert.equal(actionForKey({ ...KEY_EVENT, key: 'E', shiftKey: true })?.id, 'explainAll');
  assert.equal(actionForKey({ ...KEY_EVENT, key: 'e' })?.id, 'explain');
  assert.equal(actionForKey({ ...KEY_EVENT, key: '?', shiftKey: true })?.id, 'help', 'a shifted symbol is the symbol');
});
