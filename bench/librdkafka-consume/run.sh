#!/usr/bin/env bash
# Alternates the modes, RUNS rounds, each run reading MESSAGES from TOPIC with a fresh group.
# usage: run.sh <brokers> <topic> [messages=1000000] [runs=5] [prefill_ms=0] [modes="poll batch pollnode"]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
brokers=$1 topic=$2 messages=${3:-1000000} runs=${4:-5} prefill=${5:-0} modes=${6:-poll batch pollnode}
echo "# $(date -u +%FT%TZ) $(uname -srm), $(nproc) cores; librdkafka $("$here/consume-bench" version 2>/dev/null || true)"
echo "# uptime before: $(uptime)"
for r in $(seq 1 "$runs"); do
  for m in $modes; do
    echo -n "run=$r "
    "$here/consume-bench" "$m" "$brokers" "$topic" "$messages" "$prefill"
  done
done
echo "# uptime after: $(uptime)"
