# Sourced by compose-e2e.sh and swarm-e2e.sh: timing, Prometheus instant queries, and the
# ownership expressions both runs check. The caller defines log() and sets prom (Prometheus'
# URL), topic and group first.

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# The value of an instant query that returns one sample ("" when it returns none).
query() {
  curl -fsS --max-time 5 "$prom/api/v1/query" --data-urlencode "query=$1" 2>/dev/null \
    | jq -r '.data.result[0].value[1] // ""' 2>/dev/null || echo ""
}

# Polls `query` until it returns `want` (compared as numbers); returns 1 after `timeout` seconds.
wait_for() {
  local what=$1 expr=$2 want=$3 timeout=${4:-90} start got
  start=$(now)
  while :; do
    got=$(query "$expr")
    if [[ -n $got ]] && awk -v g="$got" -v w="$want" 'BEGIN { exit !(g + 0 == w + 0) }'; then
      return 0
    fi
    if awk -v s="$start" -v t="$timeout" -v n="$(now)" 'BEGIN { exit !(n - s > t) }'; then
      log "timed out after ${timeout}s waiting for $what: $expr = '${got}', want $want"
      return 1
    fi
    sleep 0.5
  done
}

# What our replicas say they own, and the group as the coordinator sees it (through the observer).
assigned="lab_consumer_partition_assigned{topic=\"$topic\"}"
members="lab_group_members{group=\"$group\"}"
owned="sum(lab_group_partition_owned{group=\"$group\",topic=\"$topic\"})"
# Partitions the coordinator assigned that the assigned replica does not claim, and the reverse:
# 0 and 0 when the two views agree.
coordinator_only="count(lab_group_partition_owner{group=\"$group\",topic=\"$topic\"} unless on (partition, member) label_replace($assigned, \"member\", \"\$1\", \"consumer\", \"(.*)\")) or vector(0)"
split_view="count($assigned unless on (partition, consumer) label_replace(lab_group_partition_owner{group=\"$group\",topic=\"$topic\"}, \"consumer\", \"\$1\", \"member\", \"(.*)\")) or vector(0)"
