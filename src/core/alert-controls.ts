// The shapes of the alert controls (silences, digests, flap damping) that endpoints, deliveries
// and batches carry; core/types.ts re-exports them.

/** An endpoint's `flapping` setting (core/flapping.ts has the defaults, the bounds and the rule). */
export interface FlappingSettings {
  /** N: the alert may start again after an end this many times within the window; once more marks it flapping. */
  transitions: number;
  /** M: the window, in minutes, those restarts are counted in. */
  windowMin: number;
  /** How long the alert must go without a start or an end before the hold ends and its current state is sent. */
  stableSec: number;
}

/** An endpoint's digest setting (docs/alerts.md#digests). */
export interface DigestSettings {
  /** How long a window lasts from the event that opened it. */
  windowSec: number;
  /** The most events a digest lists (the latest ones); it counts them all. */
  maxEvents: number;
  /** "fingerprint", or "payload.<path>": what makes events one group. */
  groupBy: string;
}

/** What a batch that is a digest says of its window. */
export interface DigestInfo {
  groupBy: string;
  /** The group key: the fingerprint, or the payload value's text. */
  key: string;
  /** Events folded in the window, listed or not. */
  folded: number;
  windowStart: number;
  windowEnd: number;
}

/**
 * Why a delivery was not sent as usual: held by a silence or maintenance window (`silenced`),
 * folded into a digest (`folded`), or held while its alert flaps (`flapping`). A `suppressed`
 * delivery always has one; `message` says it in a sentence.
 */
export interface DeliveryReason {
  code: "silenced" | "folded" | "flapping";
  message: string;
  silenceId?: string;
  digestId?: string;
}
