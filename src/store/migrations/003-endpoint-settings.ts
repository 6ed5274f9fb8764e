import type { Kysely } from "kysely";

// Expand-only: nullable columns that older builds ignore. A NULL `settings` means the defaults
// (POST, no extra headers, no auth, no TLS options, 20 s / 15 s timeouts, Standard Webhooks).
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  const columns: [string, "text" | "bigint"][] = [
    // Non-secret request settings as one JSON document (method, headers, auth kind, TLS, timeouts, signing, validation).
    ["settings", "text"],
    // Basic password, bearer token and client key: one AES-GCM ciphertext of a JSON object.
    ["credentials_enc", "text"],
    ["min_severity", "text"],
    // NULL or 'none': no validation; 'pending', 'passed', 'failed'. Only 'none' and 'passed' are claimed.
    ["validation_status", "text"],
    ["validation_error", "text"],
    ["validated_at", "bigint"],
    // Secret rotation: deliveries carry signatures for both secrets until the previous one expires.
    ["previous_secret_enc", "text"],
    ["previous_secret_expires_at", "bigint"],
  ];
  for (const [name, type] of columns) await db.schema.alterTable("endpoints").addColumn(name, type).execute();
  await db.schema.alterTable("events").addColumn("severity", "text").execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("events").dropColumn("severity").execute();
  for (const name of [
    "previous_secret_expires_at",
    "previous_secret_enc",
    "validated_at",
    "validation_error",
    "validation_status",
    "min_severity",
    "credentials_enc",
    "settings",
  ]) {
    await db.schema.alterTable("endpoints").dropColumn(name).execute();
  }
}
