# Two stages: the build compiles the TypeScript (tsc, a devDependency) to dist/; the image runs
# that JavaScript with the production dependencies only (no tsx, no compiler at run time).
# Node 24: the active LTS (Node 20 reached its end of life in April 2026).
FROM node:24-slim AS build
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/ scripts/
COPY src/ src/
COPY migrations/ migrations/
COPY config/ config/
RUN npm run build

FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production PORT=3000 DATA_DIR=/app/data

COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# dist/ holds the compiled sources and migrations, the pages' assets and the default config.
COPY --from=build /build/dist/ dist/
COPY bin/gateway.js bin/

# The code stays root-owned and read-only to the app; only DATA_DIR is writable.
RUN rm -f dist/.tsbuildinfo && mkdir -p /app/data && chown node:node /app/data
USER node

EXPOSE 3000
# Liveness only (/readyz reports the database). The slim image has no curl: use node's fetch.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["node", "bin/gateway.js", "serve"]
