import { Type } from "typebox";
import { ApiError } from "../../core/errors.ts";
import type { ServiceDeps } from "../../services/deps.ts";
import { Problem } from "../schemas.ts";
import { type Api, errorResponses } from "./common.ts";

export function registerMasterKeyRoutes(app: Api, d: ServiceDeps): void {
  app.post(
    "/v1/master-key/rotate",
    {
      config: { admin: true, optionalBody: true },
      schema: {
        tags: ["keys"],
        summary: "Rotate the master key kept in the data folder, while serving: a new key, every secret re-encrypted",
        description:
          "For the embedded default, whose master key lives in <data-dir>/master-key. With TOCSIN_MASTER_KEY set (and on PostgreSQL) the keys are the operator's: 409, use `tocsin keys rotate-master` with TOCSIN_PREVIOUS_MASTER_KEYS.",
        body: Type.Object({}, { additionalProperties: false }),
        response: {
          200: Type.Object({ keyId: Type.String(), endpoints: Type.Integer(), reencrypted: Type.Integer() }),
          409: Problem,
          ...errorResponses,
        },
      },
    },
    async () => {
      if (!d.rotateMasterKey) {
        throw new ApiError(
          409,
          "conflict",
          "this process does not own the master key (TOCSIN_MASTER_KEY is set): restart every process with the new key and TOCSIN_PREVIOUS_MASTER_KEYS, then run 'tocsin keys rotate-master'",
        );
      }
      const r = await d.rotateMasterKey();
      return { keyId: d.secretBox.keyId, endpoints: r.endpoints, reencrypted: r.reencrypted };
    },
  );
}
