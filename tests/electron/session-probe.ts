/**
 * Watches every onnxruntime session of this process from the outside: which sessions were created
 * and released, and each `run` (when it starts, when it ends), on one event clock. A test reads
 * the clock at a point (a cancel returned) and asks what happened after it. The sessions are the
 * real ones; only their `create`, `run` and `release` are wrapped.
 */
import * as ort from 'onnxruntime-node';
import { after, before } from 'node:test';

type Session = ort.InferenceSession;
type Hook = (run: number) => void | Promise<void>;

export interface SessionProbe {
  /** The event clock: every create, run start, run end and release advances it by one. */
  now(): number;
  created(): Session[];
  /** The options each session was created with, in creation order ({} where none were given). */
  createdWith(): ort.InferenceSession.SessionOptions[];
  /** How many times each session was released. */
  releases(session: Session): number;
  /** Runs started after the clock read `t`. */
  runsStartedAfter(t: number): number;
  runsStarted(): number;
  /** Runs started and not yet ended. */
  inFlight(): number;
  /** Things that must never happen: a release while a run is in flight on it, a run on a released session. */
  violations: string[];
  /** Called as each run starts (before it reaches onnxruntime): awaited, so a test can act while a run is in flight. */
  onRun(hook: Hook | null): void;
  uninstall(): void;
}

export function installSessionProbe(): SessionProbe {
  // The value export is the class itself (onnxruntime-common); its type only names the factory.
  const Cls = ort.InferenceSession as unknown as { create: typeof ort.InferenceSession.create; prototype: unknown };
  const proto = Cls.prototype as { run: (...a: unknown[]) => Promise<unknown>; release: () => Promise<void> };
  const origCreate = Cls.create;
  const origRun = proto.run;
  const origRelease = proto.release;
  let clock = 0;
  const created: Session[] = [];
  const options: ort.InferenceSession.SessionOptions[] = [];
  const released = new Map<Session, number>();
  const active = new Map<Session, number>();
  const runStarts: number[] = [];
  let running = 0;
  let hook: Hook | null = null;
  const violations: string[] = [];
  const name = (s: Session): string => `session #${created.indexOf(s)}`;

  Cls.create = async function (this: unknown, ...args: unknown[]) {
    const s = await (origCreate as (...a: unknown[]) => Promise<Session>).apply(Cls, args);
    clock++;
    created.push(s);
    // create(path | bytes, options) or create(buffer, offset, length, options): the options are the object after the model.
    const o = args.slice(1).find((a) => a !== null && typeof a === 'object' && !ArrayBuffer.isView(a) && !(a instanceof ArrayBuffer));
    options.push((o ?? {}) as ort.InferenceSession.SessionOptions);
    return s;
  } as typeof Cls.create;
  proto.run = async function (this: Session, ...args: unknown[]) {
    clock++;
    runStarts.push(clock);
    running++;
    if (released.has(this)) violations.push(`a run started on ${name(this)} after it was released`);
    active.set(this, (active.get(this) ?? 0) + 1);
    try {
      await hook?.(runStarts.length);
      return await origRun.apply(this, args);
    } finally {
      clock++;
      running--;
      active.set(this, (active.get(this) ?? 1) - 1);
    }
  };
  proto.release = async function (this: Session) {
    clock++;
    if ((active.get(this) ?? 0) > 0) violations.push(`${name(this)} was released while a run on it was in flight`);
    released.set(this, (released.get(this) ?? 0) + 1);
    return origRelease.apply(this);
  };

  return {
    now: () => clock,
    created: () => [...created],
    createdWith: () => [...options],
    releases: (s) => released.get(s) ?? 0,
    runsStartedAfter: (t) => runStarts.filter((at) => at > t).length,
    runsStarted: () => runStarts.length,
    inFlight: () => running,
    violations,
    onRun: (h) => {
      hook = h;
    },
    uninstall: () => {
      Cls.create = origCreate;
      proto.run = origRun;
      proto.release = origRelease;
    },
  };
}

/** The probe, installed for this test file's tests (before them; removed after them): call at the top level. */
export function probeForFile(): SessionProbe {
  let probe: SessionProbe | null = null;
  before(() => {
    probe = installSessionProbe();
  });
  after(() => probe?.uninstall());
  const current = (): SessionProbe => {
    if (!probe) throw new Error('the session probe is installed before the tests run');
    return probe;
  };
  return {
    now: () => current().now(),
    created: () => current().created(),
    createdWith: () => current().createdWith(),
    releases: (s) => current().releases(s),
    runsStartedAfter: (t) => current().runsStartedAfter(t),
    runsStarted: () => current().runsStarted(),
    inFlight: () => current().inFlight(),
    get violations() {
      return current().violations;
    },
    onRun: (hook) => current().onRun(hook),
    uninstall: () => current().uninstall(),
  };
}
