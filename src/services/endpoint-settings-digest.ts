// The digest setting (docs/alerts.md#digests): a merge patch onto the stored one, each error naming its path.
import { DIGEST_DEFAULTS, DIGEST_LIMITS, groupByProblem } from "../core/digest.ts";
import { invalid } from "../core/errors.ts";
import type { DigestSettings } from "../core/types.ts";
import { intIn, obj } from "./endpoint-settings-fields.ts";

export function checkDigest(v: unknown): DigestSettings | null {
  if (v === null || v === undefined) return null;
  const d = obj(v, "/digest");
  const groupBy = d.groupBy ?? DIGEST_DEFAULTS.groupBy;
  const problem = groupByProblem(groupBy);
  if (problem !== null) throw invalid("/digest/groupBy", problem);
  return {
    windowSec: intIn(d.windowSec, "/digest/windowSec", DIGEST_LIMITS.minWindowSec, DIGEST_LIMITS.maxWindowSec, DIGEST_DEFAULTS.windowSec),
    maxEvents: intIn(d.maxEvents, "/digest/maxEvents", DIGEST_LIMITS.minMaxEvents, DIGEST_LIMITS.maxMaxEvents, DIGEST_DEFAULTS.maxEvents),
    groupBy: groupBy as string,
  };
}
