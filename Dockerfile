# Two targets:
#   consumer  node-rdkafka only: runs `consumer` (the default command) and `loadgen`; one librdkafka
#             to compile (docker build --target consumer .)
#   full      the default, last stage: the same plus the observer (`observer`) and its client,
#             @confluentinc/kafka-javascript, a second librdkafka
# NODE_IMAGE is pinned; CI without a registry builds a local stand-in under the same name
# (docker/offline/build-images.sh) or passes --build-arg NODE_IMAGE=...
# Stage order matters for Docker's legacy builder, which builds every stage above the target: the
# consumer's stages come first, and the full build adds the observer's client to the consumer's
# installed tree instead of compiling node-rdkafka a second time.
ARG NODE_IMAGE=node:20.19-bookworm-slim

FROM ${NODE_IMAGE} AS toolchain
# Each binding compiles its bundled librdkafka: a C/C++ toolchain, python3 for node-gyp, and the
# OpenSSL, zlib, zstd, lz4 and SASL headers so the builds get TLS, SASL/SCRAM and compression
# (without them librdkafka quietly builds without those features).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ libssl-dev zlib1g-dev libzstd-dev liblz4-dev libsasl2-dev \
 && rm -rf /var/lib/apt/lists/*
# Compile against the headers shipped in the image instead of letting node-gyp download them
# from nodejs.org, which is slower and not reachable everywhere.
ENV npm_config_nodedir=/usr/local
# @confluentinc/kafka-javascript would otherwise download zlib, OpenSSL and zstd sources from their
# project sites to link statically; linking the Debian libraries above builds without a network.
ENV CKJS_LINKING=dynamic
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
COPY scripts/patch-addons.mjs scripts/patch-file.cjs ./scripts/
COPY docker/slim-addons.sh /usr/local/bin/

# node-rdkafka's librdkafka compile (~4 min on 2 cores) sits in this layer, reused until the
# lockfile changes. npm ci ends with our postinstall, which applies our patches (patches/).
FROM toolchain AS consumer-deps
RUN npm ci --omit=optional --no-audit --no-fund

FROM consumer-deps AS consumer-build
COPY tsconfig.json tsconfig.consumer.json ./
COPY src ./src
# Without the observer, whose sources need its client's types; `observer` says what to install.
RUN npx tsc -p tsconfig.consumer.json \
 && npm prune --omit=dev --omit=optional --no-audit --no-fund \
 && slim-addons.sh node-rdkafka:node-librdkafka

FROM ${NODE_IMAGE} AS runtime
# librdkafka links OpenSSL, SASL, zstd and lz4 dynamically; CA certificates let it verify TLS brokers.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl3 libsasl2-2 libzstd1 liblz4-1 zlib1g ca-certificates \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY docker/lab /usr/local/bin/lab
# /metrics, /healthz, /readyz, /status (consumer); the same plus /rate and /partitions (loadgen).
EXPOSE 8080
# Slim images have no curl; node is the HTTP client.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "require('http').get('http://127.0.0.1:'+(process.env.METRICS_PORT||8080)+'/healthz',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]
# node is PID 1 and gets SIGTERM itself (npm would swallow it), so `docker stop` and scaling down
# walk the consumer's shutdown: stop fetching, finish, commit, leave the group.
# The same entrypoint runs the commands people type: `docker run --rm -it IMAGE join --name alice
# --bootstrap 192.168.1.20:9094` on a participant's laptop, `lab status` inside a running service.
ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["consumer"]

FROM runtime AS consumer
# Root-owned and read-only for the `node` user that runs it.
COPY --from=consumer-build /app/package.json ./
COPY --from=consumer-build /app/node_modules ./node_modules
COPY --from=consumer-build /app/dist/src ./dist/src
# Fail the build, not the workshop, when a library the addon links is missing or node-rdkafka is
# not the patched one: both its JavaScript and its loaded C++ addon (the check the consumer logs at
# start).
RUN ! ldd node_modules/node-rdkafka/build/Release/node-librdkafka.node | grep 'not found' \
 && node -e "const c = require('./dist/src/consumer/consume-handoff').checkConsumeHandoff(); if (c.problem) { console.error(c.problem); process.exit(1); }"
USER node

# The observer's client added to the consumer's tree: npm install brings in the optional package
# the lockfile pins, and the postinstall compiles it from the patched sources (its own install
# script, which would fetch an unpatched prebuilt on npm 10, is denied by allowScripts on npm 11.16+
# and compiled over otherwise). node-rdkafka is already built and left alone.
FROM consumer-deps AS full-deps
RUN npm install --no-save --no-audit --no-fund

FROM full-deps AS full-build
COPY tsconfig.json ./
COPY src ./src
# .dockerignore keeps test/ out, so this emits dist/src only. The postinstall above builds the
# observer's client after npm wrote its record of the tree, which then looks stale to npm prune:
# prune reads the tree from disk and can re-extract node-rdkafka from the registry, unpatched, and
# rebuild it (seen 2026-12-05). Applying our patches once more puts them back (incremental build;
# "nothing to do" when prune left it alone).
RUN npx tsc -p tsconfig.json \
 && npm prune --omit=dev --no-audit --no-fund \
 && node scripts/patch-addons.mjs \
 && slim-addons.sh node-rdkafka:node-librdkafka @confluentinc/kafka-javascript:confluent-kafka-javascript

FROM runtime AS full
COPY --from=full-build /app/package.json ./
COPY --from=full-build /app/node_modules ./node_modules
COPY --from=full-build /app/dist/src ./dist/src
# Fail the build when a library an addon links is missing, the observer's client does not load, or
# node-rdkafka is not the patched one.
RUN ! ldd node_modules/node-rdkafka/build/Release/node-librdkafka.node node_modules/@confluentinc/kafka-javascript/build/Release/confluent-kafka-javascript.node | grep 'not found' \
 && node -e "require('@confluentinc/kafka-javascript'); const c = require('./dist/src/consumer/consume-handoff').checkConsumeHandoff(); if (c.problem) { console.error(c.problem); process.exit(1); }"
USER node
