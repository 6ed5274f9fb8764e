import type { AlertStep } from "./alerts.ts";
import { type EndpointFacts, type Notice, endpointRef } from "./notices.ts";
import type { FlappingSettings } from "./types.ts";

// Flap damping: an alert that opens again and again is held back from an endpoint until it has
// been stable for a while, and the endpoint's receiver is told once why. Pure decisions over what
// the endpoint's alert_sends row remembers of the alert (store/flap-steps.ts reads and writes it).

export type { FlappingSettings };

export const FLAPPING_DEFAULTS: Readonly<FlappingSettings> = Object.freeze({ transitions: 5, windowMin: 30, stableSec: 600 });

/** The bounds of each member, inclusive. */
export const FLAPPING_LIMITS: Readonly<Record<keyof FlappingSettings, readonly [number, number]>> = Object.freeze({
  transitions: [1, 100] as const,
  windowMin: [1, 1440] as const,
  stableSec: [1, 86_400] as const,
});

/** The hold flap damping puts on an endpoint's sends of an alert (alert_sends.held). */
export interface FlapHold {
  code: "flapping";
  message: string;
  /** When the hold ends unless another start or end comes first (epoch ms). */
  until: number;
  /** The release sends the alert's current state even when the receiver already has it. */
  always: true;
}

/** What an endpoint remembers of one alert for flap damping. */
export interface FlapMemory {
  /** When the alert opened, as this endpoint saw it, oldest first; the last transitions + 2 are kept. */
  starts: number[];
  /** The end of the flapping hold this row had or has (epoch ms); null when the alert was not flapping since its last release. */
  until: number | null;
  /** The row's hold when it is a flapping one; null otherwise (no hold, or another control's). */
  hold: FlapHold | null;
}

export const NO_FLAP_MEMORY: Readonly<FlapMemory> = Object.freeze({ starts: [], until: null, hold: null });

/** The moment an alert became flapping at an endpoint: what the notice says. */
export interface FlapOnset {
  /** Restarts counted within the window (transitions + 1). */
  transitions: number;
  heldSince: number;
  until: number;
}

export interface FlapDecision {
  /** true: record the event's delivery as suppressed with `reason`; false: send it as usual. */
  held: boolean;
  reason: { code: "flapping"; message: string } | null;
  next: FlapMemory;
  /** What to write to alert_sends.held: a flapping hold, null to lift one that is over, undefined: leave the column as it is. */
  write: FlapHold | null | undefined;
  /** Set when this event made the alert flapping. */
  onset: FlapOnset | null;
}

/** How an alert event changes its alert: opens it (a start, or the first event after an end) or ends it. */
export function transitionOf(step: AlertStep): { opened: boolean; ended: boolean } {
  return {
    opened: step.state !== "end" && step.next.status === "open" && step.next.updateCount === 0,
    ended: step.state === "end" && !step.repeatedEnd,
  };
}

const windowMs = (s: FlappingSettings) => s.windowMin * 60_000;

/**
 * Whether the remembered starts make the alert flapping at `now`: more than `transitions`
 * restarts within the window, i.e. the newest transitions + 1 starts all fall within the last
 * windowMin minutes and each of them follows an earlier start. The oldest start remembered is
 * taken for the alert's first one, so a damping endpoint counts only what it saw.
 */
export function isFlapping(starts: readonly number[], s: FlappingSettings, now: number): boolean {
  const n = s.transitions + 1;
  if (starts.length < n + 1) return false;
  return starts[starts.length - n]! >= now - windowMs(s);
}

const duration = (sec: number) => (sec % 3600 === 0 ? `${sec / 3600} h` : sec % 60 === 0 ? `${sec / 60} min` : `${sec} s`);

/** The sentence a held delivery carries. */
export function flapMessage(s: FlappingSettings): string {
  return (
    `Held: the alert is flapping (it started again more than ${s.transitions} times within ${duration(s.windowMin * 60)}); ` +
    `its current state is sent once it has gone ${duration(s.stableSec)} without starting or ending`
  );
}

/**
 * Flap damping for one alert event at one endpoint (after its lifecycle let the event through):
 * - with no setting, nothing is held, and a flapping hold left from before is lifted;
 * - a hold whose time is over (the alert was stable for stableSec; the release may not have run
 *   yet) ends the episode: the restarts counted so far are forgotten, so the alert has to flap
 *   afresh to be held again;
 * - while held, every event is held (ongoing updates too: the receiver's view stays as it was
 *   until the release sends the current state), and each start or end moves the hold's end to
 *   stableSec after it;
 * - otherwise the start that makes the alert flapping is held, begins the hold and returns the onset.
 */
export function stepFlapping(s: FlappingSettings | null, mem: FlapMemory, step: AlertStep, now: number): FlapDecision {
  if (s === null) {
    if (mem.until === null && mem.hold === null && mem.starts.length === 0) return { held: false, reason: null, next: mem, write: undefined, onset: null };
    return { held: false, reason: null, next: { starts: [], until: null, hold: null }, write: mem.hold === null ? undefined : null, onset: null };
  }
  const { opened, ended } = transitionOf(step);
  let starts = mem.starts;
  let write: FlapHold | null | undefined;
  const active = mem.hold !== null && mem.hold.until > now;
  if (!active && (mem.until !== null || mem.hold !== null)) {
    starts = [];
    if (mem.hold !== null) write = null;
  }
  if (opened) starts = [...starts, now].slice(-(s.transitions + 2));
  const stableMs = s.stableSec * 1000;
  if (active) {
    const hold = mem.hold!;
    if (!opened && !ended) return { held: true, reason: reasonOf(hold), next: { starts, until: hold.until, hold }, write: undefined, onset: null };
    const moved: FlapHold = { ...hold, until: now + stableMs };
    return { held: true, reason: reasonOf(moved), next: { starts, until: moved.until, hold: moved }, write: moved, onset: null };
  }
  if (opened && isFlapping(starts, s, now)) {
    const hold: FlapHold = { code: "flapping", message: flapMessage(s), until: now + stableMs, always: true };
    return {
      held: true,
      reason: reasonOf(hold),
      next: { starts, until: hold.until, hold },
      write: hold,
      onset: { transitions: s.transitions + 1, heldSince: now, until: hold.until },
    };
  }
  return { held: false, reason: null, next: { starts, until: null, hold: null }, write, onset: null };
}

const reasonOf = (h: FlapHold) => ({ code: "flapping" as const, message: h.message });

/** Reads alert_sends.flap_starts (a JSON array of epoch ms, or null). */
export function parseStarts(text: string | null): number[] {
  if (text === null) return [];
  const v = JSON.parse(text) as unknown;
  return Array.isArray(v) ? v.filter((x): x is number => typeof x === "number") : [];
}

/** Reads alert_sends.held when it is a flapping hold; null for none or another control's hold. */
export function parseFlapHold(text: string | null): FlapHold | null {
  if (text === null) return null;
  const v = JSON.parse(text) as Partial<FlapHold> | null;
  if (v === null || v.code !== "flapping" || typeof v.until !== "number") return null;
  return { code: "flapping", message: String(v.message ?? ""), until: v.until, always: true };
}

/**
 * The notice of an alert that became flapping at an endpoint (event type tocsin.alert.flapping).
 * `state` is the alert's state as the held event left it.
 */
export function flappingNotice(ep: EndpointFacts, fingerprint: string, s: FlappingSettings, onset: FlapOnset): Notice {
  return {
    type: "tocsin.alert.flapping",
    tenantId: ep.tenantId,
    payload: {
      tenantId: ep.tenantId,
      endpoint: endpointRef(ep),
      fingerprint,
      transitions: onset.transitions,
      windowMin: s.windowMin,
      stableSec: s.stableSec,
      heldSince: new Date(onset.heldSince).toISOString(),
    },
  };
}
