import type { Migration, MigrationProvider } from "kysely/migration";
import * as m001 from "./001-initial.ts";
import * as m002 from "./002-delivery-indexes.ts";
import * as m003 from "./003-endpoint-settings.ts";
import * as m004 from "./004-api-keys.ts";
import * as m005 from "./005-payloads.ts";
import * as m006 from "./006-operations.ts";
import * as m007 from "./007-attempt-requests.ts";
import * as m008 from "./008-unbatched-index.ts";
import * as m009 from "./009-replay-requests.ts";
import * as m013 from "./013-endpoint-filter.ts";
import * as m015 from "./015-event-trace-context.ts";
import * as m016 from "./016-alert-controls.ts";
import * as m017 from "./017-silences.ts";
import * as m018 from "./018-digests.ts";
import * as m019 from "./019-flap-damping.ts";
import * as m020 from "./020-endpoint-fallback.ts";

/** Every migration, in order. Never edit one that has been released; add a new one. */
export const migrations: Record<string, Migration> = {
  "001-initial": m001,
  "002-delivery-indexes": m002,
  "003-endpoint-settings": m003,
  "004-api-keys": m004,
  "005-payloads": m005,
  "006-operations": m006,
  "007-attempt-requests": m007,
  "008-unbatched-index": m008,
  "009-replay-requests": m009,
  "013-endpoint-filter": m013,
  "015-event-trace-context": m015,
  "016-alert-controls": m016,
  "017-silences": m017,
  "018-digests": m018,
  "019-flap-damping": m019,
  "020-endpoint-fallback": m020,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
