# wa-onboard's container: build with every dependency, run with production ones only.
# A test (test/deploy/container-recipe.test.ts) runs these same install and start steps outside a
# container, so this file cannot drift from what is tested: keep its RUN steps to the README's
# "Install for production" commands.

# Build: the full image carries python3, make and g++, for better-sqlite3 when no prebuilt binary
# matches. `npm ci` installs exactly the lock (and builds dist/ through `prepare`).
FROM node:26-trixie AS build
WORKDIR /app
COPY . .
RUN npm ci
RUN npm run build
RUN npm prune --omit=dev

# Runtime: the compiled code, production dependencies, the page's assets; no compiler, no npm cache.
FROM node:26-trixie-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/assets ./assets
# The image's own non-root user owns the data folder; a named volume mounted there starts with
# this ownership. Without a volume, the SQLite store and the code spool die with the container.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["node", "dist/healthcheck.js"]
# Exec form: node is PID 1 and gets SIGTERM itself (no shell in between to swallow it), so a
# `docker stop` drains requests in flight and stops in order.
CMD ["node", "dist/main.js"]
