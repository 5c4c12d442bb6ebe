#!/usr/bin/env bash
# The whole lab on three brokers (docker-compose.yml with docker-compose.brokers3.yml), as an
# instructor runs the failover lesson of docs/failover.md, without a container registry: kafka,
# kafka-2, kafka-3, the load generator, three consumers, the observer and prometheus (grafana
# has no offline stand-in). Then `docker kill` of the broker coordinating the group, back after
# 15 s, and it checks, through Prometheus:
#   - the observer shows the coordinator move to another broker, and the partitions the dead
#     broker led get other leaders;
#   - the observer stays up and its Kafka client never dies by a signal (issue 17), the three
#     consumers and the load generator stay up, and every partition keeps exactly one owner;
#   - the broker comes back into every ISR.
# At the end Kafka is the judge: production stopped, kafka-consumer-groups.sh (in a broker's
# container) shows every partition committed to its log-end offset, and the observer agrees.
# Prints the times from the kill. Tears the stack down (with its volumes) in every case.
#
# Environment: COMPOSE (default docker-compose), COMPOSE_PROJECT_NAME (default labb3), LAB_IMAGE
# (default consumer-group-lab:latest, built from this tree), GROUP_PROTOCOL (classic or consumer),
# E2E_RATE (100 messages/s), PORT_OFFSET (0: added to every host port the compose files publish,
# so a run can share an engine with another stack), KEEP=1 to leave the stack up, SKIP_SETUP=1 to
# skip installing/starting Docker and building the stand-in images, SKIP_BUILD=1 to run LAB_IMAGE
# as it is.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

read -r -a compose <<<"${COMPOSE:-docker-compose}"
export LAB_IMAGE=${LAB_IMAGE:-consumer-group-lab:latest}
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-labb3}
export TOPIC_PARTITIONS=6
export RATE=${E2E_RATE:-100}
export GROUP_PROTOCOL=${GROUP_PROTOCOL:-classic}
offset=${PORT_OFFSET:-0}
if ! [[ $offset =~ ^[0-9]+$ ]] || (( offset > 50000 )); then
  echo "PORT_OFFSET=$offset is not accepted: expected a number from 0 to 50000" >&2
  exit 2
fi
env_file=()
if [[ $GROUP_PROTOCOL == consumer ]]; then
  export LAB_PROTOCOL=kip848
  # The consumer refuses ASSIGNMENT_STRATEGY under KIP-848 (compose-e2e.sh says why a copy).
  unset ASSIGNMENT_STRATEGY
  env_copy=$(mktemp)
  grep -v '^ASSIGNMENT_STRATEGY=' .env > "$env_copy"
  env_file=(--env-file "$env_copy")
elif [[ $GROUP_PROTOCOL == classic ]]; then export LAB_PROTOCOL=cooperative
else echo "GROUP_PROTOCOL=$GROUP_PROTOCOL is not accepted: expected classic or consumer" >&2; exit 2; fi

# The compose files as users have them, with every published host port moved by PORT_OFFSET.
files=$(mktemp -d)
for f in docker-compose.yml docker-compose.brokers3.yml; do
  awk -v off="$offset" '
    match($0, /^ *- "([0-9.]+:)?[0-9]+:[0-9]+"$/) {
      line = $0; sub(/"[^"]*"$/, "", line); spec = $0; sub(/^[^"]*"/, "", spec); sub(/"$/, "", spec)
      n = split(spec, p, ":"); p[n - 1] += off
      out = p[1]; for (i = 2; i <= n; i++) out = out ":" p[i]
      print line "\"" out "\""; next
    }
    { print }' "$f" > "$files/$f"
done
dc() { "${compose[@]}" "${env_file[@]}" --project-directory "$root" -f "$files/docker-compose.yml" -f "$files/docker-compose.brokers3.yml" "$@"; }

topic=lab-events
group=lab-group
prom=http://localhost:$(( 9090 + offset ))
producer=http://localhost:$(( 8080 + offset ))
# shellcheck disable=SC2034 # read by kafka-judge.sh
observer=http://localhost:$(( 8081 + offset ))
service_of() { case $1 in 1) echo kafka ;; *) echo "kafka-$1" ;; esac; }

log() { printf '[brokers3-e2e %s] %s\n' "$(date +%T)" "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }
finish() {
  local rc=$?
  if [[ $rc != 0 ]]; then
    log "state at failure:"
    dc ps >&2 || true
    dc logs --no-color --tail=30 observer producer >&2 || true
  fi
  if [[ "${KEEP:-0}" == 1 ]]; then
    log "KEEP=1: stack left running (project $COMPOSE_PROJECT_NAME; compose files in $files)"
  else
    dc down -v --remove-orphans >/dev/null 2>&1 || true
    rm -rf "$files"
  fi
  [[ -z ${env_copy:-} ]] || rm -f "$env_copy"
  [[ $rc == 0 ]] && log "PASS ($GROUP_PROTOCOL protocol)" || log "exit $rc"
  exit $rc
}
trap finish EXIT

# shellcheck source=prom-queries.sh
. "$here/prom-queries.sh"
# shellcheck source=kafka-judge.sh
. "$here/kafka-judge.sh"

if [[ "${SKIP_SETUP:-0}" != 1 ]]; then
  "$here/setup-docker.sh"
  "$here/build-images.sh" node kafka prometheus
fi
dc config -q || fail "docker-compose.yml with docker-compose.brokers3.yml does not validate"
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  log "building $LAB_IMAGE from this tree (cached when compose-e2e.sh built it)"
  dc build producer >/dev/null
fi

dc down -v --remove-orphans >/dev/null 2>&1 || true
log "starting three brokers, the load generator, three consumers, the observer, prometheus (project $COMPOSE_PROJECT_NAME, $GROUP_PROTOCOL, $RATE/s, host ports +$offset)"
t_up=$(now)
# The brokers first: the programs' depends_on gives up on a broker that is not healthy yet, and
# on a loaded machine the health check's JVM can miss its 10 s more often than 12 times in a row.
dc up -d kafka kafka-2 kafka-3 prometheus
healthy() { [[ $(docker inspect --format '{{.State.Health.Status}}' "$(dc ps -q "$1")") == healthy ]]; }
for _ in $(seq 1 120); do
  healthy kafka && healthy kafka-2 && healthy kafka-3 && break
  sleep 2
done
healthy kafka && healthy kafka-2 && healthy kafka-3 || fail "the three brokers are not all healthy after 4 minutes"
log "three brokers healthy in $(elapsed "$t_up" "$(now)") s"
dc up -d --scale consumer=3 producer consumer observer
wait_for "prometheus ready" 'vector(1)' 1 90 || fail "prometheus does not answer"
wait_for "observer scraped" 'up{job="observer"}' 1 180 || fail "observer not scraped"
wait_for "3 replicas scraped" 'count(up{job="consumer"} == 1)' 3 180 || fail "consumers not scraped"
wait_for "partitions with an owner" "count(count by (partition) ($assigned))" "$TOPIC_PARTITIONS" 180 || fail "not every partition owned"
wait_for "most owners of one partition" "max(count by (partition) ($assigned))" 1 60 || fail "a partition owned twice"
wait_for "3 members (coordinator)" "$members" 3 60 || fail "the observer does not show 3 members"
wait_for "replication factor 3" "min(kafka_topic_partition_replicas{job=\"observer\",topic=\"$topic\"})" 3 60 || fail "the topic is not on three replicas"
wait_for "all replicas in sync" "sum(kafka_topic_partition_under_replicated_partition{job=\"observer\",topic=\"$topic\"})" 0 60 || fail "under-replicated partitions at start"
log "lab up in $(elapsed "$t_up" "$(now)") s"
# A kill while the group is still forming loses the newest assignment with its coordinator (seen:
# a member rejoined under a new id): let it settle, and the load run, first.
sleep 15
wait_for "3 members (coordinator), settled" "$members" 3 60 || fail "the group did not settle on 3 members"
wait_for "most owners of one partition, settled" "max(count by (partition) ($assigned))" 1 60 || fail "a partition owned twice"

coordinator_q="max(lab_group_coordinator{group=\"$group\"} == 1) by (broker)"
coordinator() { curl -fsS --max-time 5 "$prom/api/v1/query" --data-urlencode "query=$coordinator_q" | jq -r '.data.result[0].metric.broker // ""'; }
victim=$(coordinator)
[[ $victim =~ ^[123]$ ]] || fail "no coordinator exported for $group (got '$victim')"
svc=$(service_of "$victim")
led=$(query "count(kafka_topic_partition_leader{job=\"observer\",topic=\"$topic\"} == $victim) or vector(0)")
aborts_q='sum(lab_observer_kafka_client_restarts_total{reason=~"SIG.*"}) or vector(0)'
log "docker kill $COMPOSE_PROJECT_NAME $svc: broker $victim coordinates $group and leads $led of $TOPIC_PARTITIONS partitions"
callbacks_q='sum(lab_consumer_rebalance_events_total) or vector(0)'
callbacks_before=$(query "$callbacks_q")
t0=$(now)
dc kill "$svc" >/dev/null
wait_for "coordinator moved off broker $victim" "count(lab_group_coordinator{group=\"$group\",broker!=\"$victim\"} == 1)" 1 60 \
  || fail "the observer never showed another coordinator"
coord_moved=$(elapsed "$t0" "$(now)")
wait_for "no partition led by broker $victim" "count(kafka_topic_partition_leader{job=\"observer\",topic=\"$topic\"} == $victim) or vector(0)" 0 60 \
  || fail "partitions still led by the dead broker"
leaders_moved=$(elapsed "$t0" "$(now)")
log "MEASURE coordinator moved to broker $(coordinator) at ${coord_moved} s, leaders at ${leaders_moved} s after the kill"
sleep_left=$(awk -v s="$t0" -v n="$(now)" 'BEGIN { d = 15 - (n - s); print (d > 0 ? d : 0) }')
sleep "$sleep_left"
# Over the outage: everyone still up, and every partition owned once (reported if a rebalance
# happened meanwhile: a member whose heartbeats found no coordinator for a session timeout rejoins).
[[ $(query 'count(up{job="consumer"} == 1)') == 3 ]] || fail "a consumer is down after the kill"
[[ $(query 'up{job="observer"}') == 1 ]] || fail "the observer is down after the kill"
[[ $(query 'up{job="producer"}') == 1 ]] || fail "the load generator is down after the kill"
wait_for "partitions with an owner (outage)" "count(count by (partition) ($assigned))" "$TOPIC_PARTITIONS" 60 \
  && wait_for "most owners of one partition (outage)" "max(count by (partition) ($assigned))" 1 60 \
  || fail "not every partition owned once during the outage"
callbacks=$(awk -v a="$callbacks_before" -v b="$(query "$callbacks_q")" 'BEGIN { print b - a }')
log "every partition owned once at the end of the outage; rebalance callbacks in the consumers since the kill: $callbacks"
log "docker start $svc (15 s after the kill)"
t1=$(now)
dc start "$svc" >/dev/null
wait_for "broker $victim back in every ISR" "sum(kafka_topic_partition_under_replicated_partition{job=\"observer\",topic=\"$topic\"})" 0 120 \
  || fail "broker $victim did not rejoin the ISRs"
back_in_isr=$(elapsed "$t1" "$(now)")
log "MEASURE broker $victim back in every ISR ${back_in_isr} s after docker start"
sleep 5 # the group requests that waited for the old coordinator are answered now (issue 17's abort)
abort_count=$(query "$aborts_q")
[[ ${abort_count:-0} == 0 ]] || fail "the observer's Kafka client died by a signal $abort_count time(s) (lab_observer_kafka_client_restarts_total)"
restarts=$(query 'sum(lab_observer_kafka_client_restarts_total) or vector(0)')
[[ $(query 'count(up{job="consumer"} == 1)') == 3 && $(query 'up{job="observer"}') == 1 && $(query 'up{job="producer"}') == 1 ]] \
  || fail "a program is down after the broker came back"
[[ $(docker inspect --format '{{.RestartCount}}' "$(dc ps -q observer)") == 0 ]] || fail "the observer's container was restarted"

log "stopping production and waiting for the lag to drain"
curl -fsS -X PUT "$producer/rate" -d 0 >/dev/null || fail "PUT /rate refused"
wait_for "lag drained" "sum(lab_consumer_lag_messages{topic=\"$topic\"})" 0 120 || fail "lag did not drain"
# kafka-judge.sh runs Kafka's tool in the container of a broker that stayed up.
kafka_exec=("${compose[@]}" "${env_file[@]}" --project-directory "$root" -f "$files/docker-compose.yml" -f "$files/docker-compose.brokers3.yml" exec -T "$(service_of $(( victim % 3 + 1 )))")
assert_committed_to_end 90 || fail "the group did not commit every partition to its end by Kafka's own tool (or the observer disagrees)"
gaps=$(query "sum(lab_consumer_sequence_gaps_total{topic=\"$topic\"}) or vector(0)")
[[ ${gaps:-0} == 0 ]] || fail "$gaps sequence gaps: messages were lost"
printf 'group_protocol=%s\ncoordinator_moved_seconds=%s\nleaders_moved_seconds=%s\nback_in_isr_seconds=%s\nrebalance_callbacks=%s\nobserver_client_restarts=%s\nobserver_client_aborts=0\n' \
  "$GROUP_PROTOCOL" "$coord_moved" "$leaders_moved" "$back_in_isr" "$callbacks" "$restarts"
