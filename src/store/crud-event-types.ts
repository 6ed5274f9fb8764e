// The event type catalog: names with their optional schema and example.
import type { EventType } from "../core/types.ts";
import { rowToEventType } from "./rows.ts";
import { page } from "./crud-sql.ts";
import type { SqlDb } from "./sql.ts";
import { type Store, decodeCursor } from "./store.ts";

const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

export type EventTypeMethods = Pick<Store, "createEventType" | "getEventType" | "listEventTypes" | "updateEventType" | "deleteEventType">;

export function createEventTypeMethods(db: SqlDb): EventTypeMethods {
  return {
    async createEventType(t) {
      const n = await db.run(
        "INSERT INTO event_types (name, description, schema, example, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
        [t.name, t.description, json(t.schema), json(t.example), t.createdAt, t.updatedAt],
      );
      return n === 1 ? t : null;
    },
    async getEventType(name) {
      const r = await db.get("SELECT * FROM event_types WHERE name = ?", [name]);
      return r ? rowToEventType(r) : null;
    },
    async listEventTypes(p) {
      const rows = await db.all("SELECT * FROM event_types WHERE name > ? ORDER BY name LIMIT ?", [decodeCursor(p.cursor) ?? "", p.limit + 1]);
      return page<EventType>(rows, p.limit, rowToEventType, (r) => r.name as string);
    },
    async updateEventType(name, c, now) {
      return db.tx(async (tx) => {
        const r = await tx.get("SELECT * FROM event_types WHERE name = ? FOR UPDATE", [name]);
        if (!r) return null;
        const t = rowToEventType(r);
        if (c.description !== undefined) t.description = c.description;
        if (c.schema !== undefined) t.schema = c.schema;
        if (c.example !== undefined) t.example = c.example;
        t.updatedAt = now;
        await tx.run("UPDATE event_types SET description = ?, schema = ?, example = ?, updated_at = ? WHERE name = ?", [
          t.description,
          json(t.schema),
          json(t.example),
          now,
          name,
        ]);
        return t;
      });
    },
    async deleteEventType(name) {
      return (await db.run("DELETE FROM event_types WHERE name = ?", [name])) === 1;
    },
  };
}
