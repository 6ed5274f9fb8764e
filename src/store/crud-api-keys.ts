// API keys: created, found by hash, listed, revoked and touched; hashes are read only to authenticate.
import type { ApiKey } from "../core/api-keys.ts";
import { rowToApiKey } from "./rows.ts";
import { page } from "./crud-sql.ts";
import type { Param, SqlDb } from "./sql.ts";
import { type Store, decodeCursor } from "./store.ts";

/** Every api_keys column but the hash, which only the look-up by hash reads. */
const KEY_COLUMNS = "id, kind, tenant_id, name, scopes, prefix, expires_at, revoked_at, last_used_at, created_at";

export type ApiKeyMethods = Pick<Store, "createApiKey" | "findApiKeyByHash" | "listApiKeys" | "revokeApiKey" | "touchApiKey">;

export function createApiKeyMethods(db: SqlDb): ApiKeyMethods {
  return {
    async createApiKey(k) {
      await db.run("INSERT INTO api_keys (id, kind, tenant_id, name, scopes, hash, prefix, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        k.id,
        k.kind,
        k.tenantId,
        k.name,
        JSON.stringify(k.scopes),
        k.hash,
        k.prefix,
        k.expiresAt,
        k.createdAt,
      ]);
      const { hash: _hash, ...key } = k;
      return { ...key, scopes: [...k.scopes], revokedAt: null, lastUsedAt: null };
    },
    async findApiKeyByHash(hash) {
      const r = await db.get(`SELECT ${KEY_COLUMNS}, hash FROM api_keys WHERE hash = ?`, [hash]);
      return r ? { key: rowToApiKey(r), hash: String(r.hash) } : null;
    },
    async listApiKeys(f, p) {
      const where = ["id > ?"];
      const params: Param[] = [decodeCursor(p.cursor) ?? ""];
      if (f.tenantId !== undefined) {
        where.push("tenant_id = ?");
        params.push(f.tenantId);
      }
      if (f.kind !== undefined) {
        where.push("kind = ?");
        params.push(f.kind);
      }
      const rows = await db.all(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE ${where.join(" AND ")} ORDER BY id LIMIT ?`, [...params, p.limit + 1]);
      return page<ApiKey>(rows, p.limit, rowToApiKey, (r) => r.id as string);
    },
    async revokeApiKey(id, tenantId, now) {
      const scope = tenantId === null ? "" : " AND tenant_id = ?";
      const params: Param[] = tenantId === null ? [id] : [id, tenantId];
      await db.run(`UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL${scope}`, [now, ...params]);
      const r = await db.get(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = ?${scope}`, params);
      return r ? rowToApiKey(r) : null;
    },
    async touchApiKey(id, now) {
      await db.run("UPDATE api_keys SET last_used_at = ? WHERE id = ?", [now, id]);
    },
  };
}
