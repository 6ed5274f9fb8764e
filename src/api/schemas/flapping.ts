import { Type } from "typebox";
import { FLAPPING_DEFAULTS as D, FLAPPING_LIMITS as L } from "../../core/flapping.ts";
import { component } from "./component.ts";
import { Nullable } from "./common.ts";

// An endpoint's flap damping of alerts (docs/alerts.md, "Flap damping"); null: none.
export const FlappingIn = component(
  "FlappingIn",
  Type.Object(
    {
      transitions: Type.Optional(
        Nullable(
          Type.Integer({
            minimum: L.transitions[0],
            maximum: L.transitions[1],
            description: `N: how many times an alert may start again after an end within windowMin minutes; once more marks it flapping (default ${D.transitions})`,
          }),
        ),
      ),
      windowMin: Type.Optional(
        Nullable(
          Type.Integer({
            minimum: L.windowMin[0],
            maximum: L.windowMin[1],
            description: `M: the window, in minutes, the restarts are counted in (default ${D.windowMin})`,
          }),
        ),
      ),
      stableSec: Type.Optional(
        Nullable(
          Type.Integer({
            minimum: L.stableSec[0],
            maximum: L.stableSec[1],
            description: `Seconds the flapping alert must go without a start or an end before its current state is sent and the hold ends (default ${D.stableSec})`,
          }),
        ),
      ),
    },
    {
      additionalProperties: false,
      description:
        "Flap damping: an alert that starts again more than `transitions` times within `windowMin` minutes is flapping; this endpoint gets one tocsin.alert.flapping notice, its further events of the alert are recorded as suppressed (reason flapping), and once the alert has been stable for `stableSec` its current state is sent. A member left out takes its default ({} turns damping on with the defaults); null: no damping (the default).",
    },
  ),
);
export const FlappingOut = component("FlappingOut", Type.Object({ transitions: Type.Integer(), windowMin: Type.Integer(), stableSec: Type.Integer() }));
