// Tenants: the CRUD methods, and deleting a tenant with everything that belongs to it.
import type { Tenant } from "../core/types.ts";
import { rowToTenant } from "./rows.ts";
import { CANCEL, page } from "./crud-sql.ts";
import type { SqlDb } from "./sql.ts";
import { type Store, decodeCursor } from "./store.ts";

export type TenantMethods = Pick<Store, "createTenant" | "getTenant" | "listTenants" | "updateTenant" | "deleteTenant">;

export function createTenantMethods(db: SqlDb): TenantMethods {
  return {
    async createTenant(t) {
      const n = await db.run("INSERT INTO tenants (id, name, metadata, created_at, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING", [
        t.id,
        t.name,
        JSON.stringify(t.metadata),
        t.createdAt,
        t.updatedAt,
      ]);
      return n === 1 ? t : null;
    },
    async getTenant(id) {
      const r = await db.get("SELECT * FROM tenants WHERE id = ?", [id]);
      return r ? rowToTenant(r) : null;
    },
    async listTenants(p) {
      const rows = await db.all("SELECT * FROM tenants WHERE id > ? ORDER BY id LIMIT ?", [decodeCursor(p.cursor) ?? "", p.limit + 1]);
      return page<Tenant>(rows, p.limit, rowToTenant, (r) => r.id as string);
    },
    async updateTenant(id, changes, now) {
      return db.tx(async (tx) => {
        const r = await tx.get("SELECT * FROM tenants WHERE id = ? FOR UPDATE", [id]);
        if (!r) return null;
        const t = rowToTenant(r);
        if (changes.name !== undefined) t.name = changes.name;
        if (changes.metadata !== undefined) t.metadata = changes.metadata;
        t.updatedAt = now;
        await tx.run("UPDATE tenants SET name = ?, metadata = ?, updated_at = ? WHERE id = ?", [t.name, JSON.stringify(t.metadata), now, id]);
        return t;
      });
    },
    async deleteTenant(id, now) {
      return db.tx(async (tx) => {
        if ((await tx.run("DELETE FROM tenants WHERE id = ?", [id])) === 0) return false;
        await tx.run(`${CANCEL} tenant_id = ?`, [now, id]);
        await tx.run("DELETE FROM endpoint_versions WHERE endpoint_id IN (SELECT id FROM endpoints WHERE tenant_id = ?)", [id]);
        await tx.run("DELETE FROM digest_windows WHERE endpoint_id IN (SELECT id FROM endpoints WHERE tenant_id = ?)", [id]);
        await tx.run("DELETE FROM endpoints WHERE tenant_id = ?", [id]);
        // A tenant re-created with the same id starts without alerts.
        await tx.run("DELETE FROM alert_sends WHERE tenant_id = ?", [id]);
        await tx.run("DELETE FROM alerts WHERE tenant_id = ?", [id]);
        await tx.run("DELETE FROM endpoint_health WHERE tenant_id = ?", [id]);
        await tx.run("DELETE FROM replays WHERE tenant_id = ?", [id]);
        await tx.run("DELETE FROM silences WHERE tenant_id = ?", [id]);
        await tx.run("UPDATE api_keys SET revoked_at = ? WHERE tenant_id = ? AND revoked_at IS NULL", [now, id]);
        return true;
      });
    },
  };
}
