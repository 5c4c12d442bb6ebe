# One image for the three programs: `consumer` (the default command), `loadgen` and `observer`.
# NODE_IMAGE is pinned; CI without a registry builds a local stand-in under the same name
# (docker/offline/build-images.sh) or passes --build-arg NODE_IMAGE=...
ARG NODE_IMAGE=node:20.19-bookworm-slim

FROM ${NODE_IMAGE} AS build
# node-rdkafka (consumer, load generator) and @confluentinc/kafka-javascript (the observer's admin
# client) each compile their bundled librdkafka: a C/C++ toolchain, python3 for node-gyp, and the
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
# The two librdkafka compiles (~7 min on 2 cores) sit in this layer, reused until the lockfile changes.
# npm ci ends with our postinstall: it applies our patches (patches/) and rebuilds only the two addons.
COPY package.json package-lock.json ./
COPY patches ./patches
COPY scripts/patch-addons.mjs ./scripts/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
# .dockerignore keeps test/ out, so this emits dist/src only.
RUN npx tsc -p tsconfig.json
RUN npm prune --omit=dev --no-audit --no-fund
# Of each binding's ~500 MB build tree only the addon and the two shared libraries it loads
# (RPATH $ORIGIN/../deps) are needed at run time; the librdkafka sources, objects and static
# archives are dropped, and the libraries lose their debug symbols.
RUN set -eux; \
    for pkg in node-rdkafka:node-librdkafka @confluentinc/kafka-javascript:confluent-kafka-javascript; do \
      dir=node_modules/${pkg%%:*}; addon=${pkg##*:}; \
      rm -rf /tmp/keep; mkdir -p /tmp/keep/Release /tmp/keep/deps; \
      cp $dir/build/Release/$addon.node /tmp/keep/Release/; \
      cp -L $dir/build/deps/librdkafka.so.1 $dir/build/deps/librdkafka++.so.1 /tmp/keep/deps/; \
      strip --strip-unneeded /tmp/keep/Release/*.node /tmp/keep/deps/*.so.1; \
      rm -rf $dir/build $dir/deps $dir/src $dir/bench $dir/e2e $dir/test $dir/examples $dir/ci $dir/util/test-* \
             $dir/cpplint.py $dir/configure $dir/Makefile $dir/binding.gyp $dir/make_docs.sh $dir/run_docker.sh \
             $dir/win_install.ps1 $dir/deploy.enc $dir/docker-compose.yml; \
      mv /tmp/keep $dir/build; \
    done

FROM ${NODE_IMAGE}
# librdkafka links OpenSSL, SASL, zstd and lz4 dynamically; CA certificates let it verify TLS brokers.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl3 libsasl2-2 libzstd1 liblz4-1 zlib1g ca-certificates \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
# Root-owned and read-only for the `node` user that runs it.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
# Fail the build, not the workshop, when a library an addon links is missing or node-rdkafka
# is not the patched one: both its JavaScript and its loaded C++ addon (the check the consumer
# logs at start).
RUN ! ldd node_modules/node-rdkafka/build/Release/node-librdkafka.node node_modules/@confluentinc/kafka-javascript/build/Release/confluent-kafka-javascript.node | grep 'not found' \
 && node -e "require('@confluentinc/kafka-javascript'); const c = require('./dist/src/consumer/consume-handoff').checkConsumeHandoff(); if (c.problem) { console.error(c.problem); process.exit(1); }"
USER node
# /metrics, /healthz, /readyz, /status (consumer); the same plus /rate and /partitions (loadgen).
EXPOSE 8080
# Slim images have no curl; node is the HTTP client.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "require('http').get('http://127.0.0.1:'+(process.env.METRICS_PORT||8080)+'/healthz',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]
# node is PID 1 and gets SIGTERM itself (npm would swallow it), so `docker stop` and scaling down
# walk the consumer's shutdown: stop fetching, finish, commit, leave the group.
ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["consumer"]
