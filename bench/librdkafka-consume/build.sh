#!/usr/bin/env bash
# Builds consume-bench against node-rdkafka's bundled librdkafka (2.12.0).
# RDK_DEPS: a copy of node_modules/node-rdkafka/build/deps (librdkafka.so.1, librdkafka++.so.1, and
# include/librdkafka/{rdkafka.h,rdkafkacpp.h}); copy it out of node_modules first, since an
# `npm ci` replaces it under a running build. The binary finds the libraries through its rpath.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
deps=${RDK_DEPS:-/tmp/rdk-deps}
[ -f "$deps/librdkafka.so.1" ] || { echo "no librdkafka.so.1 in $deps; cp -a node_modules/node-rdkafka/build/deps $deps" >&2; exit 1; }
g++ -O2 -g -std=c++17 -Wall -Wextra -o "$here/consume-bench" "$here/consume-bench.cc" \
  -I"$deps/include" -L"$deps" -Wl,-rpath,"$deps" -l:librdkafka++.so.1 -l:librdkafka.so.1 -lpthread
echo "built $here/consume-bench"
