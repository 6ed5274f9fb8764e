// An endpoint's `flapping` setting: flap damping of alerts (core/flapping.ts), checked on save.
import { FLAPPING_DEFAULTS, FLAPPING_LIMITS } from "../core/flapping.ts";
import { invalid } from "../core/errors.ts";
import type { FlappingSettings } from "../core/types.ts";
import { intIn, obj } from "./endpoint-settings-fields.ts";

const MEMBERS = Object.keys(FLAPPING_DEFAULTS) as (keyof FlappingSettings)[];

/** `flapping` after the merge: null (no damping), or each member within its bounds; a member left out takes its default. */
export function checkFlapping(v: unknown): FlappingSettings | null {
  if (v === null || v === undefined) return null;
  const f = obj(v, "/flapping");
  for (const k of Object.keys(f)) {
    if (!MEMBERS.includes(k as keyof FlappingSettings)) throw invalid(`/flapping/${k}`, "is not a flapping setting: use transitions, windowMin or stableSec");
  }
  const one = (k: keyof FlappingSettings) => intIn(f[k], `/flapping/${k}`, FLAPPING_LIMITS[k][0], FLAPPING_LIMITS[k][1], FLAPPING_DEFAULTS[k]);
  return { transitions: one("transitions"), windowMin: one("windowMin"), stableSec: one("stableSec") };
}
