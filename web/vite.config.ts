import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defaultClientConditions, defineConfig } from "vite";

// `vite` (dev) proxies the API to a running Tocsin: TOCSIN_URL, default http://127.0.0.1:3000.
const api = process.env.TOCSIN_URL ?? "http://127.0.0.1:3000";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  plugins: [react()],
  // @tocsin/client by its package name, from its TypeScript source (its package.json's
  // "tocsin-source" export), not from a build of it.
  resolve: { conditions: ["tocsin-source", ...defaultClientConditions] },
  build: {
    outDir: fileURLToPath(new URL("./dist", import.meta.url)),
    emptyOutDir: true,
    // The server's Content-Security-Policy allows no inline script: keep everything in files.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    proxy: { "/v1": api, "/openapi.json": api, "/healthz": api },
  },
});
