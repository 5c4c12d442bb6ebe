# shellcheck shell=bash disable=SC2154
# Sourced by compose-e2e.sh (and usable by swarm-e2e.sh): the end of a run judged by Kafka itself.
# Our own counters (messages produced, processed) miss what a replica did between its last scrape
# and its death, and a loss hidden by duplicates still reads processed >= produced; Kafka's
# committed offsets have neither weakness. The caller defines log() and now(), sets topic, group,
# TOPIC_PARTITIONS, kafka_exec (an array: the command that runs a program inside the broker's
# container) and observer (the group observer's URL).

# "partition committed end" per partition of $topic, as Kafka's kafka-consumer-groups.sh prints
# them (columns found by their header, so a reordered table still parses).
kafka_offsets() {
  "${kafka_exec[@]}" kafka-consumer-groups.sh --bootstrap-server localhost:9092 --describe --offsets --group "$group" 2>/dev/null \
    | awk -v t="$topic" '
        $1 == "GROUP" { for (i = 1; i <= NF; i++) col[$i] = i; next }
        ("TOPIC" in col) && $col["TOPIC"] == t { print $col["PARTITION"], $col["CURRENT-OFFSET"], $col["LOG-END-OFFSET"] }' \
    | sort -n
}

# The same three numbers from the observer's /groups.
observer_offsets() {
  curl -fsS --max-time 5 "$observer/groups" \
    | jq -r --arg g "$group" '.groups[] | select(.group == $g) | .partitions[] | "\(.partition) \(.committed // "-") \(.end // "-")"' \
    | sort -n
}

# Every partition's committed offset equals its log-end offset by kafka-consumer-groups.sh, and
# the observer reports the same offsets. Call once production has stopped. Returns 1 after
# `timeout` seconds (also when the tool never answered: no rows is not agreement).
assert_committed_to_end() {
  local timeout=${1:-90} start tool obs rows
  start=$(now)
  while :; do
    tool=$(kafka_offsets || true)
    obs=$(observer_offsets || true)
    rows=$(grep -c . <<<"$tool" || true)
    if [[ $rows == "$TOPIC_PARTITIONS" ]] && awk '$2 != $3 { bad = 1 } END { exit bad }' <<<"$tool" && [[ $tool == "$obs" ]]; then
      log "Kafka (kafka-consumer-groups.sh in the broker container): all $TOPIC_PARTITIONS partitions committed to their log-end offset, $(awk '{ s += $3 } END { print s }' <<<"$tool") messages; the observer reports the same offsets"
      return 0
    fi
    if awk -v s="$start" -v t="$timeout" -v n="$(now)" 'BEGIN { exit !(n - s > t) }'; then
      log "timed out after ${timeout}s: kafka-consumer-groups.sh printed $rows row(s) for $topic (partition committed end):"
      log "${tool:-<nothing>}"
      log "the observer's /groups:"
      log "${obs:-<nothing>}"
      return 1
    fi
    sleep 2
  done
}
