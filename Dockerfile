# The gateway runs its TypeScript sources through tsx (a runtime dependency): no build step.
FROM node:20-slim

WORKDIR /app
ENV NODE_ENV=production PORT=3000 DATA_DIR=/app/data

COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# tsconfig.json: tsx transpiles with the same compiler options as development and the tests.
COPY tsconfig.json ./
COPY bin/ bin/
COPY src/ src/
COPY config/ config/
COPY migrations/ migrations/

# The code stays root-owned and read-only to the app; only DATA_DIR is writable.
RUN mkdir -p /app/data && chown node:node /app/data
USER node

EXPOSE 3000
# Liveness only (/readyz reports the database). The slim image has no curl: use node's fetch.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["node", "bin/gateway.js", "serve"]
