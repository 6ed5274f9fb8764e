import { loadConfig } from "../../config.ts";
import { DataDirLockedError } from "../../data-dir.ts";
import { unwrap } from "../client.ts";
import { type Command, UsageError, client, parse, showHelp } from "../shared.ts";

/** `tocsin keys rotate-master`: re-encrypts every stored secret under a new master key. */

const ROTATE_MASTER_HELP = `Usage: tocsin keys rotate-master [--data-dir DIR] [--database-url URL]

Re-encrypts every stored secret (signing secrets, passwords, tokens, client keys) under the
current master key, then moves the database's check value to it.

PostgreSQL, while serving:
  1. Restart every process with TOCSIN_MASTER_KEY=<new> and TOCSIN_PREVIOUS_MASTER_KEYS=<old>
     (rolling; each process reads both and writes under the new one).
  2. Run this command with the same two variables.
  3. Restart the processes without TOCSIN_PREVIOUS_MASTER_KEYS.

Embedded SQLite (the key in <data-dir>/master-key): while 'tocsin serve' runs, the server rotates
its own key (this command asks it through the API: --url, --api-key as for client commands);
with it stopped, this command does the same itself. A new key goes into <data-dir>/master-key,
the old one stays in <data-dir>/master-key.previous until every secret is re-encrypted. An
interrupted rotation resumes when 'serve' starts or this command runs again.
With TOCSIN_MASTER_KEY set, keys are yours to manage: set TOCSIN_PREVIOUS_MASTER_KEYS as above.`;

export const rotateMaster: Command = async (args, env, io) => {
  const v = parse(args, {
    "data-dir": { type: "string" },
    "database-url": { type: "string" },
    url: { type: "string" },
    "api-key": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (v.help) return showHelp(io, ROTATE_MASTER_HELP);
  const config = loadConfig(env, { dataDir: v["data-dir"], databaseUrl: v["database-url"] });
  const { createSecretBox, parseMasterKey } = await import("../../core/secret-box.ts");
  const { reencryptSecrets } = await import("../../services/master-key.ts");
  // The store opens as the server opens it, with a pool of two.
  const { openStore } = await import("../../open-store.ts");
  const progress = (n: number) => io.err(`checked ${n} endpoints`);
  if (config.databaseUrl) {
    if (!config.masterKey || config.previousMasterKeys.length === 0) {
      throw new UsageError("set TOCSIN_MASTER_KEY to the new key and TOCSIN_PREVIOUS_MASTER_KEYS to the old one(s), as every running process has them");
    }
    const box = createSecretBox(parseMasterKey(config.masterKey), config.previousMasterKeys.map(parseMasterKey));
    const store = await openStore(config, null, { schema: "check", poolSize: 2 });
    try {
      const r = await reencryptSecrets(store, box, progress);
      io.out(`re-encrypted ${r.reencrypted} secrets of ${r.endpoints} endpoints under master key ${box.keyId}; TOCSIN_PREVIOUS_MASTER_KEYS can go`);
    } finally {
      await store.close();
    }
    return 0;
  }
  const { existsSync, readFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { openDataDir, generateMasterKey } = await import("../../data-dir.ts");
  const { swappable } = await import("../../core/secret-box.ts");
  const { rotateFileMasterKey } = await import("../../services/master-key.ts");
  let dir: Awaited<ReturnType<typeof openDataDir>>;
  try {
    dir = openDataDir(config.dataDir);
  } catch (e) {
    if (!(e instanceof DataDirLockedError) || config.masterKey) throw e;
    // 'tocsin serve' holds the data folder: it rotates its own key, online.
    const api = client({ url: v.url, "api-key": v["api-key"] }, { ...env, TOCSIN_DATA_DIR: config.dataDir });
    const r = await unwrap(api.POST("/v1/master-key/rotate", { body: {} }));
    io.out(`re-encrypted ${r.reencrypted} secrets of ${r.endpoints} endpoints under master key ${r.keyId} (by the running server)`);
    return 0;
  }
  try {
    const store = await openStore(config, dir, { schema: "check", poolSize: 2 });
    try {
      if (config.masterKey) {
        if (config.previousMasterKeys.length === 0) throw new UsageError("TOCSIN_MASTER_KEY is set: also set TOCSIN_PREVIOUS_MASTER_KEYS to the old key(s)");
        const box = createSecretBox(parseMasterKey(config.masterKey), config.previousMasterKeys.map(parseMasterKey));
        const r = await reencryptSecrets(store, box, progress);
        io.out(`re-encrypted ${r.reencrypted} secrets of ${r.endpoints} endpoints under master key ${box.keyId}`);
        return 0;
      }
      const keyFile = join(config.dataDir, "master-key");
      if (!existsSync(keyFile)) throw new UsageError(`${keyFile} does not exist: there is nothing to rotate`);
      const box = swappable(createSecretBox(parseMasterKey(readFileSync(keyFile, "utf8").trim())));
      const r = await rotateFileMasterKey(config.dataDir, store, box, generateMasterKey);
      io.out(`re-encrypted ${r.reencrypted} secrets of ${r.endpoints} endpoints under master key ${box.keyId}`);
    } finally {
      await store.close();
    }
  } finally {
    dir.release();
  }
  return 0;
};
