#!/usr/bin/env bash
# Multi-host end-to-end run of docker-stack.yml: a Docker Swarm of three engines on this one
# machine, each a separate host as far as Swarm knows (its own container, network namespace,
# address, hostname and data root): laptop-ann (manager, the instructor's node), laptop-bob and
# laptop-cem (workers). Images travel the way docs/swarm.md tells a
# workshop on a LAN without internet: the instructor's engine has them (here: `docker save | docker
# load` from this machine's engine), runs a registry service and pushes the project image to it;
# the workers pull it from there (daemon setting insecure-registries).
#
# Then: deploy the stack with CONSUMER_REPLICAS replicas spread over the nodes; assert through Prometheus'
# HTTP API that every partition has exactly one owner (the replicas' view and the coordinator's,
# through the observer); stop production until the lag drains (so the accounting is exact), kill
# laptop-bob outright (SIGKILL to its container: its engine and every replica on it die at once)
# and resume production; measure the time until every partition is owned again by the survivors
# and until Swarm has replacement replicas running on the surviving nodes; at the end assert by
# Kafka's own kafka-consumer-groups.sh (in the broker's container) that every partition is committed
# to its log-end offset, that the observer reports the same offsets, and that no sequence gap was
# seen; produced/processed from our counters are printed as an approximate second figure.
# Removes every engine, container, volume, network and temporary folder it created, in every case;
# exits non-zero on failure.
#
# Environment: SWARM_SUBNET (192.168.231.0/24: the simulated LAN, a bridge network on this
# machine's engine), CONSUMER_REPLICAS (6), TOPIC_PARTITIONS (12), E2E_RATE (50 messages/s),
# OWNED_WITHIN (25 s: session timeout 10 s + rebalance + scrapes), LAB_SOURCE_IMAGE (the project
# image on this machine, consumer-group-lab:latest, built from this tree), LAB_BROKERS (1, or 3 for
# the three-broker stack docker-stack.brokers3.yml layered on docker-stack.yml), KEEP=1 to leave the swarm up,
# SKIP_SETUP=1 to skip installing/starting Docker and building the stand-in images.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

run_start=$(date +%s.%N)
subnet=${SWARM_SUBNET:-192.168.231.0/24}
prefix=${subnet%.*}
consumers=${CONSUMER_REPLICAS:-6}
export TOPIC_PARTITIONS=${TOPIC_PARTITIONS:-12}
rate=${E2E_RATE:-50}
owned_within=${OWNED_WITHIN:-25}
stack_files=(-c docker-stack.yml)
case ${LAB_BROKERS:-1} in
  1) ;;
  3) stack_files+=(-c docker-stack.brokers3.yml) ;;
  *) echo "swarm-e2e: LAB_BROKERS=${LAB_BROKERS} is not accepted: expected 1 or 3" >&2; exit 2 ;;
esac
tag=swarme2e
net=$tag-lan
nodes=(ann bob cem)
declare -A ip=([ann]=$prefix.10 [bob]=$prefix.11 [cem]=$prefix.12)
manager=ann victim=bob
registry=${ip[$manager]}:5000
lab_image=$registry/consumer-group-lab:latest
topic=lab-events
group=lab-group
prom=http://${ip[$manager]}:9090
producer=http://${ip[$manager]}:8080
source_image=${LAB_SOURCE_IMAGE:-consumer-group-lab:latest}
tmp=$(mktemp -d /tmp/swarm-e2e.XXXXXX)

log() { printf '[swarm-e2e %s] %s\n' "$(date +%T)" "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }
# shellcheck source=prom-queries.sh
. "$here/prom-queries.sh"
# shellcheck source=kafka-judge.sh
. "$here/kafka-judge.sh"
# The docker CLI of this machine, talking to one simulated laptop's engine (its socket is
# bind-mounted out of the node's container).
on() { local node=$1; shift; DOCKER_HOST="unix://$tmp/$node/docker.sock" docker "$@"; }

finish() {
  local rc=$?
  if [[ $rc != 0 && -S $tmp/$manager/docker.sock ]]; then
    log "state at failure:"
    on $manager node ls >&2 || true
    on $manager stack ps lab --format '{{.Name}} {{.Node}} {{.CurrentState}} {{.Error}}' >&2 || true
    on $manager service logs --tail 20 --no-task-ids lab_producer >&2 || true
  fi
  if [[ "${KEEP:-0}" == 1 ]]; then
    log "KEEP=1: swarm left up; manager: DOCKER_HOST=unix://$tmp/$manager/docker.sock docker node ls"
    log "remove it with: docker rm -f -v ${nodes[*]/#/$tag-}; docker network rm $net; rm -rf $tmp"
  else
    # -v: each node's /var/lib/docker is an anonymous volume; this removes its images and containers.
    for n in "${nodes[@]}"; do docker rm -f -v "$tag-$n" >/dev/null 2>&1 || true; done
    docker network rm "$net" >/dev/null 2>&1 || true
    rm -rf "$tmp"
  fi
  log "run took $(elapsed "$run_start" "$(now)") s"
  [[ $rc == 0 ]] && log "PASS" || log "exit $rc"
  exit $rc
}
trap finish EXIT
trap 'exit 130' INT TERM


# Every partition has exactly one owner among `replicas` scraped replicas, in both views.
assert_ownership() {
  local replicas=$1 timeout=${2:-90}
  wait_for "replicas scraped" 'count(up{job="consumer"} == 1)' "$replicas" "$timeout" || return 1
  wait_for "partitions with an owner" "count(count by (partition) ($assigned))" "$TOPIC_PARTITIONS" "$timeout" || return 1
  wait_for "most owners of one partition" "max(count by (partition) ($assigned))" 1 "$timeout" || return 1
  wait_for "members (coordinator)" "$members" "$replicas" "$timeout" || return 1
  wait_for "partitions owned (coordinator)" "$owned" "$TOPIC_PARTITIONS" "$timeout" || return 1
  wait_for "coordinator and replicas agree" "$coordinator_only" 0 "$timeout" || return 1
  wait_for "no replica claims a partition the coordinator gave away" "$split_view" 0 "$timeout" || return 1
  sleep 4
  [[ $(query "count(count by (partition) ($assigned))") == "$TOPIC_PARTITIONS" ]] || return 1
  [[ $(query "max(count by (partition) ($assigned))") == 1 ]] || return 1
  log "ownership ok: $TOPIC_PARTITIONS partitions, one owner each, over $(query "count(count by (consumer) ($assigned))") of $replicas replicas (both views agree)"
}

quiesce() {
  curl -fsS -X PUT "$producer/rate" -d 0 >/dev/null || fail "PUT /rate refused"
  wait_for "target rate 0" 'lab_producer_target_rate' 0 30 || fail "rate did not change"
  wait_for "lag drained" "sum(lab_consumer_lag_messages{topic=\"$topic\"})" 0 120 || fail "lag did not drain"
  sleep 5
}
resume() { curl -fsS -X PUT "$producer/rate" -d "$rate" >/dev/null || fail "PUT /rate refused"; }

# Nodes running a replica of the consumer service, one line per replica.
consumer_nodes() { on $manager service ps lab_consumer --filter desired-state=running --format '{{.Node}} {{.CurrentState}}' | awk '$2 == "Running" { print $1 }'; }

if [[ "${SKIP_SETUP:-0}" != 1 ]]; then
  "$here/setup-docker.sh"
  "$here/build-images.sh" node kafka prometheus registry swarm-node
fi
# Always built from this tree (seconds when the compose run built it just before: every layer is
# cached), so neither a stale local image nor a published one is what gets tested.
log "building $source_image from this tree (minutes on a cold cache)"
docker build -q -t "$source_image" . >/dev/null
LAB_IMAGE=$lab_image docker stack config "${stack_files[@]}" >/dev/null || fail "${stack_files[*]} does not validate"

# --- three laptops on one LAN -----------------------------------------------------------------
for n in "${nodes[@]}"; do docker rm -f -v "$tag-$n" >/dev/null 2>&1 || true; done
docker network rm "$net" >/dev/null 2>&1 || true
docker network create --subnet "$subnet" "$net" >/dev/null
log "starting engines laptop-${nodes[*]} on $subnet"
for n in "${nodes[@]}"; do
  mkdir -p "$tmp/$n"
  extra=()
  if [[ $n == "$manager" ]]; then
    # The instructor deploys from their clone: the bind mounts (prometheus.yml, ...) resolve to
    # this path on the instructor's node. Its engine uses the images it has without asking Docker
    # Hub first (nothing but these engines may be contacted here); a real laptop would ask, fail
    # offline and fall back to the same local image.
    extra=(-v "$root:$root:ro" -e DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1)
  fi
  # Not --privileged: this machine lacks CAP_SYS_RESOURCE, which --privileged asks for. The
  # capabilities, devices and cgroups a nested engine needs are granted one by one instead.
  docker run -d --name "$tag-$n" --hostname "laptop-$n" --network "$net" --ip "${ip[$n]}" \
    --cap-add ALL --cap-drop SYS_RESOURCE --device-cgroup-rule 'a *:* rwm' \
    --security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt systempaths=unconfined \
    -v /sys/fs/cgroup:/sys/fs/cgroup -v "$tmp/$n:/run/lab" "${extra[@]}" \
    lab-offline/swarm-node:local \
    -H unix:///var/run/docker.sock -H unix:///run/lab/docker.sock --cgroup-parent "$tag-$n" \
    --insecure-registry "$registry" >/dev/null
done
for n in "${nodes[@]}"; do
  for _ in $(seq 1 60); do on "$n" info >/dev/null 2>&1 && break; sleep 0.5; done
  on "$n" info >/dev/null 2>&1 || { docker logs --tail 20 "$tag-$n" >&2; fail "engine laptop-$n did not start"; }
done

# --- the swarm: docs/swarm.md's commands ------------------------------------------------------------
on $manager swarm init --advertise-addr "${ip[$manager]}" >/dev/null
token=$(on $manager swarm join-token -q worker)
for n in "${nodes[@]}"; do
  [[ $n == "$manager" ]] || on "$n" swarm join --token "$token" "${ip[$manager]}:2377" >/dev/null
done
on $manager node update --label-add lab.role=instructor "laptop-$manager" >/dev/null
log "swarm: $(on $manager node ls --format '{{.Hostname}}{{if .ManagerStatus}} ({{.ManagerStatus}}){{end}}' | paste -sd ' ')"

t0=$(now)
docker save "$source_image" apache/kafka:4.3.1 prom/prometheus:v2.53.3 registry:2 | on $manager load >/dev/null
log "images loaded into the instructor's engine in $(elapsed "$t0" "$(now)") s"
t0=$(now)
on $manager service create --detach --name registry --constraint node.labels.lab.role==instructor \
  --publish mode=host,published=5000,target=5000 --no-resolve-image registry:2 >/dev/null
for _ in $(seq 1 60); do curl -fsS --max-time 2 "http://$registry/v2/" >/dev/null 2>&1 && break; sleep 0.5; done
on $manager tag "$source_image" "$lab_image"
on $manager push "$lab_image" >/dev/null
log "registry up and project image pushed in $(elapsed "$t0" "$(now)") s"

# --- deploy --------------------------------------------------------------------------------------
log "docker stack deploy (${stack_files[*]}): $consumers consumers, rate $rate/s"
t0=$(now)
(set -a; . ./.env; set +a
 LAB_IMAGE=$lab_image CONSUMER_REPLICAS=$consumers RATE=$rate TOPIC_PARTITIONS=$TOPIC_PARTITIONS \
   on $manager stack deploy --detach=true --resolve-image never "${stack_files[@]}" lab >/dev/null)
# Grafana has no offline stand-in; the rest of the stack does not need it.
on $manager service scale --detach lab_grafana=0 >/dev/null
wait_for "prometheus ready" 'vector(1)' 1 120 || fail "prometheus does not answer"
wait_for "producer scraped" 'up{job="producer"}' 1 180 || fail "load generator not scraped"
wait_for "observer scraped" 'up{job="observer"}' 1 120 || fail "observer not scraped"
assert_ownership "$consumers" 180 || fail "partitions not owned once each by $consumers replicas"
log "MEASURE deploy-to-owned: $(elapsed "$t0" "$(now)") s (workers pulled the image from the registry)"

placement=$(consumer_nodes | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }')
log "consumers per node: $placement"
[[ $(consumer_nodes | grep -v "laptop-$manager" | sort -u | wc -l) -ge 2 ]] || fail "consumers not spread over two workers: $placement"
on_victim=$(consumer_nodes | grep -c "laptop-$victim" || true)
[[ $on_victim -ge 1 ]] || fail "no consumer on laptop-$victim"
name_pattern='consumer\\.[0-9]+@laptop-(ann|bob|cem)'
wait_for "readable replica names" "count(lab_consumer_info{consumer=~\"$name_pattern\"})" "$consumers" 10 \
  || fail "replica names are not consumer.N@laptop-X: $(curl -fsS "$prom/api/v1/query" --data-urlencode 'query=lab_consumer_info' | jq -r '[.data.result[].metric.consumer] | join(" ")')"

# --- a node fails --------------------------------------------------------------------------------
quiesce
survivors="consumer!~\".*@laptop-$victim\""
log "killing laptop-$victim outright ($on_victim of $consumers consumers on it; production resumes at once)"
t_kill=$(now)
docker kill "$tag-$victim" >/dev/null
resume
# The survivors own every partition, once each, and the coordinator no longer lists a member of
# the dead node (its members leave at the session timeout).
t_owned=""
t_replaced=""
while :; do
  t=$(now)
  if [[ -z $t_owned ]] \
    && [[ $(query "count(count by (partition) (lab_group_partition_owner{group=\"$group\",topic=\"$topic\",member!~\".*@laptop-$victim\"}))") == "$TOPIC_PARTITIONS" ]] \
    && [[ $(query "count(lab_group_partition_owner{group=\"$group\",topic=\"$topic\",member=~\".*@laptop-$victim\"}) or vector(0)") == 0 ]] \
    && [[ $(query "count(count by (partition) (lab_consumer_partition_assigned{topic=\"$topic\",$survivors}))") == "$TOPIC_PARTITIONS" ]] \
    && [[ $(query "max(count by (partition) (lab_consumer_partition_assigned{topic=\"$topic\",$survivors}))") == 1 ]]; then
    t_owned=$t
    log "MEASURE node-loss-to-owned: $(elapsed "$t_kill" "$t_owned") s until every partition was owned again, once, by the surviving replicas"
  fi
  if [[ -z $t_replaced ]]; then
    running=$(consumer_nodes || true)
    if [[ $(grep -c . <<<"$running") == "$consumers" ]] && ! grep -q "laptop-$victim" <<<"$running"; then
      t_replaced=$t
      log "MEASURE node-loss-to-replaced: $(elapsed "$t_kill" "$t_replaced") s until Swarm had $consumers replicas running again, none on laptop-$victim"
    fi
  fi
  [[ -n $t_owned && -n $t_replaced ]] && break
  awk -v s="$t_kill" -v n="$(now)" 'BEGIN { exit !(n - s > 150) }' \
    && fail "after 150 s: owned again: ${t_owned:-no}; replaced: ${t_replaced:-no} ($(consumer_nodes | paste -sd ' '))"
  sleep 0.5
done
owned_s=$(elapsed "$t_kill" "$t_owned")
replaced_s=$(elapsed "$t_kill" "$t_replaced")
on $manager node ls --format '{{.Hostname}} {{.Status}}' | grep -q "laptop-$victim Down" || fail "laptop-$victim not Down in docker node ls"
assert_ownership "$consumers" 120 || fail "replacement replicas did not end with one owner per partition"
placement=$(consumer_nodes | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }')
log "consumers per node after the loss: $placement"
awk -v o="$owned_s" -v w="$owned_within" 'BEGIN { exit !(o <= w) }' \
  || fail "partitions owned again only after $owned_s s (limit $owned_within s)"

# --- nothing lost ----------------------------------------------------------------------------------
sleep 10 # the replacements under load
quiesce
# The judge: Kafka's own committed offsets (kafka-consumer-groups.sh in the broker's container on
# the instructor's node), every partition at its end, and the observer agrees.
kafka_cid=$(on "$manager" ps -q --filter name=lab_kafka | head -1)
[[ -n $kafka_cid ]] || fail "no lab_kafka container on laptop-$manager"
kafka_exec=(on "$manager" exec "$kafka_cid")
observer=http://${ip[$manager]}:8081
assert_committed_to_end 90 || fail "the group did not commit every partition to its end by Kafka's own tool (or the observer disagrees)"
if [[ ${LAB_BROKERS:-1} == 3 ]]; then
  # The three-broker stack is what it says: the topic on three replicas, all in sync again after
  # the run, and writes needing two of them (Kafka's own tools in the broker's container).
  described=$("${kafka_exec[@]}" kafka-topics.sh --bootstrap-server localhost:9092 --describe --topic "$topic" 2>&1 || true)
  rf=$(awk '{ for (i = 1; i < NF; i++) if ($i == "ReplicationFactor:") { print $(i + 1); exit } }' <<<"$described")
  full_isr=$(awk '{ for (i = 1; i < NF; i++) if ($i == "Isr:" && split($(i + 1), r, ",") == 3) n++ } END { print n + 0 }' <<<"$described")
  # (--describe prints the topic's own settings after "Configs:": the load generator sets it.)
  min_isr=$(awk 'match($0, /min\.insync\.replicas=[0-9]+/) { print substr($0, RSTART, RLENGTH); exit }' <<<"$described")
  log "three brokers: replication factor $rf, $full_isr of $TOPIC_PARTITIONS partitions with three in-sync replicas, $min_isr"
  [[ $rf == 3 && $full_isr == "$TOPIC_PARTITIONS" && $min_isr == min.insync.replicas=2 ]] || fail "the three-broker stack's topic is not replicated three times with min.insync.replicas=2: $described"
fi
# Our counters, a second and approximate figure: a killed replica's last unscraped second is
# missing from them, and duplicates can hide a loss in a sum.
produced=$(query "sum(lab_producer_messages_total{topic=\"$topic\"})")
processed=$(query "sum(last_over_time(lab_consumer_messages_processed_total{topic=\"$topic\"}[1h]))")
gaps=$(query "sum(last_over_time(lab_consumer_sequence_gaps_total{topic=\"$topic\"}[1h]))"); gaps=${gaps:-0}
redelivered=$(query "sum(last_over_time(lab_consumer_redeliveries_total{topic=\"$topic\"}[1h]))"); redelivered=${redelivered:-0}
# A rebalance handled twice (a client that connected after failed attempts, node-rdkafka
# re-registering its callbacks) shows as a failed rebalance.
rebalance_errors=$(query "sum(last_over_time(lab_consumer_rebalance_events_total{type=\"error\"}[1h])) or vector(0)"); rebalance_errors=${rebalance_errors:-0}
[[ -n $produced ]] && awk -v p="$produced" 'BEGIN { exit !(p > 0) }' || fail "nothing was produced"
duplicates=$(awk -v p="$produced" -v c="${processed:-0}" 'BEGIN { print c - p }')
log "produced=$produced processed=$processed duplicates=$duplicates (of which a replica recognised $redelivered) gaps=$gaps failed rebalances=$rebalance_errors"
awk -v d="$duplicates" 'BEGIN { exit !(d >= 0) }' \
  || log "NOTE: our counters read processed $processed < produced $produced; Kafka's committed offsets above are the judge"
awk -v g="$gaps" 'BEGIN { exit !(g == 0) }' || fail "$gaps sequence gaps: messages were lost"
awk -v e="$rebalance_errors" 'BEGIN { exit !(e == 0) }' || fail "$rebalance_errors rebalances failed in the replicas"

printf 'nodes=%s consumers=%s partitions=%s\nnode_loss_to_all_partitions_owned_seconds=%s\nnode_loss_to_replacements_running_seconds=%s\nproduced=%s\nprocessed=%s\nduplicates=%s\ngaps=%s\nrun_seconds=%s\n' \
  "${#nodes[@]}" "$consumers" "$TOPIC_PARTITIONS" "$owned_s" "$replaced_s" "$produced" "$processed" "$duplicates" "$gaps" "$(elapsed "$run_start" "$(now)")"
