#!/usr/bin/env bash
# End-to-end run of the compose stack as a workshop uses it, without a container registry:
# builds the stand-in images and the project image, starts kafka, producer, consumer, the group
# observer and prometheus (grafana has no offline stand-in), then
#   1 replica -> 3 replicas -> `docker kill` one -> `docker pause` one, unpause -> 1 replica
# and after every step asserts through Prometheus' HTTP API that each partition has exactly one
# owner, both as the replicas say and as the group coordinator says (through the observer), that
# the two views agree, and that every live replica is scraped. After `docker unpause` the split
# view is reported (a scrape may or may not land before the zombie learns it was fenced). Replicas join under load; before one is removed,
# production pauses until the lag has drained (see quiesce). At the end Kafka is the judge: by its
# own kafka-consumer-groups.sh (run in the broker container) every partition is committed to its
# log-end offset, and the observer reports the same offsets; no sequence gap was seen and replicas
# carry readable names. Our produced/processed counters are printed as an approximate second figure.
# Prints how long Prometheus took to see a scaled-up replica and a killed replica's partitions
# reassigned, and the time to visible through the observer for --scale, kill, pause and stop. Tears the stack down (with its volumes) in every case; exits non-zero on failure.
#
# Environment: COMPOSE (default docker-compose), COMPOSE_PROJECT_NAME (default labe2e),
# TOPIC_PARTITIONS (12), E2E_RATE (50 messages/s), GROUP_PROTOCOL (classic, or consumer for
# KIP-848), ASSIGNMENT_STRATEGY (classic only; else .env's), KEEP=1 to leave the stack up,
# SKIP_SETUP=1 to skip installing/starting Docker and building the stand-in images.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

read -r -a compose <<<"${COMPOSE:-docker-compose}"
# The image built from this tree, under a local name (the stages after this one reuse it): .env
# names the published image, which this run must not test, nor overwrite.
export LAB_IMAGE=consumer-group-lab:latest
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-labe2e}
export TOPIC_PARTITIONS=${TOPIC_PARTITIONS:-12}
export RATE=${E2E_RATE:-50}
export GROUP_PROTOCOL=${GROUP_PROTOCOL:-classic}
# .env picks the protocol with LAB_PROTOCOL, which must agree with GROUP_PROTOCOL: set it to match.
if [[ $GROUP_PROTOCOL == consumer ]]; then export LAB_PROTOCOL=kip848
elif [[ ${ASSIGNMENT_STRATEGY:-} == range || ${ASSIGNMENT_STRATEGY:-} == roundrobin ]]; then export LAB_PROTOCOL=eager
else export LAB_PROTOCOL=cooperative; fi
env_file=()
if [[ $GROUP_PROTOCOL == consumer ]]; then
  # The consumer refuses ASSIGNMENT_STRATEGY under KIP-848 even when empty, and a shell variable
  # cannot unset what .env sets; so compose reads a copy of .env without that line.
  unset ASSIGNMENT_STRATEGY
  env_copy=$(mktemp)
  grep -v '^ASSIGNMENT_STRATEGY=' .env > "$env_copy"
  env_file=(--env-file "$env_copy")
fi
topic=lab-events
group=lab-group
prom=http://localhost:9090
producer=http://localhost:8080

dc() { "${compose[@]}" "${env_file[@]}" -f docker-compose.yml "$@"; }


log() { printf '[compose-e2e %s] %s\n' "$(date +%T)" "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }
# Failures that need not stop the run: reported, and the exit status is 1, after the measurements.
problems=()
problem() { log "PROBLEM: $*"; problems+=("$*"); }

finish() {
  local rc=$?
  if [[ $rc != 0 ]]; then
    log "state at failure:"
    dc ps >&2 || true
    dc logs --no-color --tail=40 producer consumer prometheus >&2 || true
  fi
  if [[ "${KEEP:-0}" == 1 ]]; then
    log "KEEP=1: stack left running; remove it with: ${compose[*]} ${env_file[*]} -f docker-compose.yml down -v"
  else
    dc down -v --remove-orphans >/dev/null 2>&1 || true
  fi
  [[ -z ${env_copy:-} ]] || rm -f "$env_copy"
  [[ $rc == 0 ]] && log "PASS ($GROUP_PROTOCOL protocol)" || log "exit $rc"
  exit $rc
}

# shellcheck source=prom-queries.sh
. "$here/prom-queries.sh"
observer=http://localhost:8081
kafka_exec=("${compose[@]}" "${env_file[@]}" -f docker-compose.yml exec -T kafka)
# shellcheck source=kafka-judge.sh
. "$here/kafka-judge.sh"

# Every partition has exactly one owner, the owners are exactly the `replicas` live replicas,
# and each of them is scraped.
assert_ownership() {
  local replicas=$1 timeout=${2:-90}
  wait_for "replicas scraped" 'count(up{job="consumer"} == 1)' "$replicas" "$timeout" || return 1
  wait_for "partitions with an owner" "count(count by (partition) ($assigned))" "$TOPIC_PARTITIONS" "$timeout" || return 1
  wait_for "most owners of one partition" "max(count by (partition) ($assigned))" 1 "$timeout" || return 1
  wait_for "replicas owning partitions" "count(count by (consumer) ($assigned))" "$(( replicas < TOPIC_PARTITIONS ? replicas : TOPIC_PARTITIONS ))" "$timeout" || return 1
  owned_at=$(now)
  # The coordinator's view, through the observer: the same members, every partition owned, and
  # each assignment claimed by the replica it went to.
  wait_for "members (coordinator)" "$members" "$replicas" "$timeout" || return 1
  wait_for "partitions owned (coordinator)" "$owned" "$TOPIC_PARTITIONS" "$timeout" || return 1
  wait_for "coordinator and replicas agree" "$coordinator_only" 0 "$timeout" || return 1
  wait_for "no replica claims a partition the coordinator gave away" "$split_view" 0 "$timeout" || return 1
  # Held for a few scrapes, not a single lucky sample mid-rebalance.
  sleep 4
  [[ $(query "count(count by (partition) ($assigned))") == "$TOPIC_PARTITIONS" ]] || return 1
  [[ $(query "max(count by (partition) ($assigned))") == 1 ]] || return 1
  log "ownership ok: $TOPIC_PARTITIONS partitions, one owner each, $replicas replica(s): $(query "count(count by (consumer) ($assigned))") owning"
}

# Stops production and waits until the group has committed everything and Prometheus has scraped
# the final counts. Done before a replica is removed: what a replica processes between its last
# scrape and its exit never reaches Prometheus, and the accounting at the end would come up short
# by up to a scrape interval of messages (seen: 28 of 2697 when scaling down under load).
quiesce() {
  curl -fsS -X PUT "$producer/rate" -d 0 >/dev/null || fail "PUT /rate refused"
  wait_for "target rate 0" 'lab_producer_target_rate' 0 30 || fail "rate did not change"
  wait_for "lag drained" "sum(lab_consumer_lag_messages{topic=\"$topic\"})" 0 120 || fail "lag did not drain"
  sleep 5
}
resume() { curl -fsS -X PUT "$producer/rate" -d "$RATE" >/dev/null || fail "PUT /rate refused"; }

# Seconds from the observer's first sight of the newest membership change (its
# lab_group_member_{joined,left}_timestamp_seconds) to now, when the change is queryable.
detected_to_visible() {
  local metric=$1 at
  at=$(query "max(lab_group_member_${metric}_timestamp_seconds{group=\"$group\"})")
  [[ -n $at ]] && awk -v a="$at" -v n="$(now)" 'BEGIN { printf "%.1f", n - a }' || echo "?"
}

trap finish EXIT

if [[ "${SKIP_SETUP:-0}" != 1 ]]; then
  "$here/setup-docker.sh"
  "$here/build-images.sh" node kafka prometheus
fi
# The compose file users run must validate as it is, before anything starts.
dc config -q || fail "docker-compose.yml does not validate"
log "docker-compose.yml validates"
log "building $LAB_IMAGE from this tree (the librdkafka compile takes minutes on a cold cache)"
dc build producer >/dev/null

dc down -v --remove-orphans >/dev/null 2>&1 || true
log "starting kafka, producer, one consumer, the observer, prometheus (project $COMPOSE_PROJECT_NAME, rate $RATE/s)"
dc up -d --scale consumer=1 kafka producer consumer observer prometheus
wait_for "prometheus ready" 'vector(1)' 1 60 || fail "prometheus does not answer"
wait_for "producer scraped" 'up{job="producer"}' 1 120 || fail "load generator not scraped"
wait_for "observer scraped" 'up{job="observer"}' 1 120 || fail "observer not scraped"
assert_ownership 1 120 || fail "one replica does not own every partition"
wait_for "replica on $GROUP_PROTOCOL protocol" "count(lab_consumer_info{group_protocol=\"$GROUP_PROTOCOL\"})" 1 30 \
  || fail "the consumer does not report group_protocol=$GROUP_PROTOCOL"
# The dashboard names replicas after their containers (reverse DNS of the replica's address):
# compose v2 calls them PROJECT-consumer-N, v1 PROJECT_consumer_N, which the consumer shortens alike.
name_pattern="${COMPOSE_PROJECT_NAME}-consumer-[0-9]+"
if ! wait_for "readable replica name" "count(lab_consumer_info{consumer=~\"$name_pattern\"})" 1 10; then
  problem "replica named '$(curl -fsS "$prom/api/v1/query" --data-urlencode 'query=lab_consumer_info' | jq -r '.data.result[0].metric.consumer')', expected $name_pattern"
fi

log "scaling consumer 1 -> 3"
t0=$(now)
dc up -d --no-recreate --scale consumer=3 consumer
wait_for "3 members (coordinator)" "$members" 3 90 || fail "the observer does not show 3 members"
visible_scale=$(elapsed "$t0" "$(now)")
visible_scale_delay=$(detected_to_visible joined)
log "MEASURE scale-to-visible: ${visible_scale}s from 'up --scale consumer=3' to 3 members queryable through the observer (observer saw the join ${visible_scale_delay}s before)"
wait_for "3 replicas scraped" 'count(up{job="consumer"} == 1)' 3 90 || fail "new replicas not scraped"
scrape_time=$(elapsed "$t0" "$(now)")
log "MEASURE scale-to-scraped: ${scrape_time}s from 'up --scale consumer=3' to 3 replicas with up==1"
assert_ownership 3 || fail "partitions not spread one owner each over 3 replicas"
rebalance_time=$(elapsed "$t0" "$owned_at")
log "MEASURE scale-to-owned: ${rebalance_time}s from 'up --scale consumer=3' to every partition owned by the 3 replicas"

quiesce
victim=$(dc ps -q consumer | tail -1)
victim_name=$(docker inspect --format '{{.Name}}' "$victim" | tr -d /)
log "docker kill $victim_name (SIGKILL: no leave-group; the broker notices at the session timeout)"
t0=$(now)
docker kill "$victim" >/dev/null
resume
wait_for "2 members (coordinator)" "$members" 2 60 || fail "the coordinator still lists the killed replica"
visible_kill=$(elapsed "$t0" "$(now)")
visible_kill_delay=$(detected_to_visible left)
log "MEASURE kill-to-visible: ${visible_kill}s from 'docker kill' to the member gone through the observer (session timeout included; observer saw it ${visible_kill_delay}s before)"
wait_for "killed replica gone from up" 'count(up{job="consumer"} == 1)' 2 60 || fail "killed replica still scraped"
assert_ownership 2 || fail "killed replica's partitions not reassigned"
kill_time=$(elapsed "$t0" "$owned_at")
log "MEASURE kill-to-reassigned: ${kill_time}s from 'docker kill' to every partition owned again, as seen in Prometheus"
# The killed container stays as "Exited"; remove it so scaling counts only live replicas.
docker rm "$victim" >/dev/null

# A paused replica (a GC pause, a network cut) stops heartbeating: the coordinator gives its
# partitions away after the session timeout while the replica, frozen, still believes it owns
# them. Unpaused, it is fenced, drops them and rejoins.
zombie=$(dc ps -q consumer | tail -1)
zombie_name=$(docker inspect --format '{{.Name}}' "$zombie" | tr -d /)
# Each replica's share before the pause: the split view must show the zombie's whole share.
share_min=$(query "min(count by (consumer) ($assigned))")
share_max=$(query "max(count by (consumer) ($assigned))")
# Found by its address (Prometheus' instance label), not by guessing its name from the container's.
zombie_ip=$(docker inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$zombie")
zombie_label=$(curl -fsS "$prom/api/v1/query" --data-urlencode "query=lab_consumer_info{instance=\"$zombie_ip:8080\"}" | jq -r '.data.result[0].metric.consumer // empty')
zombie_share=$(query "count(lab_consumer_partition_assigned{topic=\"$topic\",instance=\"$zombie_ip:8080\"})")
[[ -n $zombie_label && ${zombie_share:-0} -gt 0 ]] || fail "the replica to pause ($zombie_name at $zombie_ip) is not scraped or reports no partition"
log "docker pause $zombie_name"
t0=$(now)
docker pause "$zombie" >/dev/null
wait_for "1 member (coordinator)" "$members" 1 60 || fail "the coordinator still lists the paused replica"
visible_pause=$(elapsed "$t0" "$(now)")
visible_pause_delay=$(detected_to_visible left)
log "MEASURE pause-to-visible: ${visible_pause}s from 'docker pause' to the member gone through the observer (observer saw it ${visible_pause_delay}s before)"
wait_for "partitions owned by the other replica (coordinator)" "$owned" "$TOPIC_PARTITIONS" 60 \
  || fail "the paused replica's partitions were not reassigned"
# The split view as the dashboard's panel shows it (the recording rule it reads): while the zombie
# is frozen, Kafka lists the other member as owner of its partitions and its last report still
# claims them, so the panel must show its whole share, named after it.
wait_for "the split view shows the frozen replica's whole share ($zombie_share)" \
  "count(lab:partition_split_view{group=\"$group\",topic=\"$topic\",consumer=\"$zombie_label\"}) or vector(0)" "$zombie_share" 30 \
  || fail "the split view does not show the frozen replica's $zombie_share partitions"
log "docker unpause $zombie_name"
t0=$(now)
docker unpause "$zombie" >/dev/null
max_split=0
max_zombie_split=0
zombie_split="count(lab:partition_split_view{group=\"$group\",topic=\"$topic\",consumer=\"$zombie_label\"}) or vector(0)"
while :; do
  got=$(query "$split_view"); got=${got:-0}
  (( got > max_split )) && max_split=$got
  got=$(query "$zombie_split"); got=${got:-0}
  (( got > max_zombie_split )) && max_zombie_split=$got
  [[ $(query "$members") == 2 ]] && break
  awk -v s="$t0" -v n="$(now)" 'BEGIN { exit !(n - s > 60) }' && fail "the unpaused replica did not rejoin within 60 s"
  sleep 0.5
done
visible_unpause=$(elapsed "$t0" "$(now)")
log "MEASURE unpause-to-rejoined: ${visible_unpause}s from 'docker unpause' to 2 members through the observer; most partitions seen claimed by the zombie while another member owned them: $max_zombie_split (by any replica: $max_split)"
# The zombie's partitions, owned by the other member, are in the split view until it learns it was
# fenced. Whether a scrape lands in that window is a race: the zombie often learns within one 2 s
# scrape interval (a run here saw 0 of its share of $share_min-$share_max), so this figure is
# reported, not asserted. The split view during the pause, where it is deterministic, is asserted
# above; assert_ownership below checks the view is empty again.
log "NOTE split view after unpause: $max_zombie_split partitions claimed by the zombie (its share was $share_min-$share_max); whether a scrape lands in that window is timing-dependent"
# What is not timing-dependent: the split view never shows the zombie claiming more than its own
# share, and it clears (assert_ownership waits for it to read 0, with one owner per partition by
# both views). Counted over every replica it can show more: when the zombie rejoins, the other
# replica still claims the partitions being handed back to it until its revocation (a ci run here
# saw 12 with a share of 6).
(( max_zombie_split <= zombie_share )) || fail "after the unpause the split view showed $max_zombie_split partitions claimed by the zombie, which owned $zombie_share"
assert_ownership 2 || fail "partitions not owned once each (or the split view not empty) after the zombie rejoined"

log "scaling consumer -> 1"
quiesce
t0=$(now)
dc up -d --no-recreate --scale consumer=1 consumer
stop_time=$(elapsed "$t0" "$(now)")
wait_for "1 member (coordinator)" "$members" 1 30 || fail "the coordinator still lists the stopped replica"
visible_stop=$(elapsed "$t0" "$(now)")
log "MEASURE stop-to-visible: ${visible_stop}s from 'up --scale consumer=1' (docker stop, SIGTERM) to the member gone through the observer (observer saw it $(detected_to_visible left)s before)"
log "MEASURE scale-down: ${stop_time}s for compose to stop the extra replica (SIGTERM, leave group; limit 15 s)"
resume
assert_ownership 1 || fail "the last replica does not own every partition"

log "stopping production and waiting for the lag to drain"
sleep 10 # some traffic for the last replica alone
quiesce

# The judge: Kafka's own committed offsets, every partition at its end, and the observer agrees.
assert_committed_to_end 90 || fail "the group did not commit every partition to its end by Kafka's own tool (or the observer disagrees)"

# Our counters, a second and approximate figure: a replica's last unscraped second is missing
# from them (quiesce keeps that to nothing here), and duplicates can hide a loss in a sum.
produced=$(query "sum(lab_producer_messages_total{topic=\"$topic\"})")
# last_over_time keeps the final count of replicas that were scaled away or killed.
processed=$(query "sum(last_over_time(lab_consumer_messages_processed_total{topic=\"$topic\"}[1h]))")
gaps=$(query "sum(last_over_time(lab_consumer_sequence_gaps_total{topic=\"$topic\"}[1h]))")
redelivered=$(query "sum(last_over_time(lab_consumer_redeliveries_total{topic=\"$topic\"}[1h]))")
gaps=${gaps:-0}
log "produced=$produced processed=$processed redelivered=${redelivered:-0} gaps=$gaps"
[[ -n $produced ]] && awk -v p="$produced" 'BEGIN { exit !(p > 0) }' || fail "nothing was produced"
awk -v p="$produced" -v c="${processed:-0}" 'BEGIN { exit !(c >= p) }' \
  || log "NOTE: our counters read processed $processed < produced $produced; Kafka's committed offsets above are the judge"
awk -v g="$gaps" 'BEGIN { exit !(g == 0) }' || fail "$gaps sequence gaps: messages were lost"

printf 'group_protocol=%s\nscale_to_scraped_seconds=%s\nscale_to_owned_seconds=%s\nkill_to_reassigned_seconds=%s\nscale_down_seconds=%s\nproduced=%s\nprocessed=%s\n' \
  "$GROUP_PROTOCOL" "$scrape_time" "$rebalance_time" "$kill_time" "$stop_time" "$produced" "$processed"
printf 'visible_scale_seconds=%s\nvisible_kill_seconds=%s\nvisible_pause_seconds=%s\nvisible_unpause_seconds=%s\nvisible_stop_seconds=%s\n' \
  "$visible_scale" "$visible_kill" "$visible_pause" "$visible_unpause" "$visible_stop"
if [[ ${#problems[@]} -gt 0 ]]; then
  fail "${#problems[@]} problem(s): ${problems[*]}"
fi
