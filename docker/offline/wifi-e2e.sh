#!/usr/bin/env bash
# The compose stack on a shared Wi-Fi, seen from a participant's laptop: a second network namespace
# on this machine, joined to it by a veth pair on a private subnet, plays the laptop. Asserts that
#   - from the laptop only Kafka's external listener answers (9094: metadata and messages through
#     it), while the load generator (8080), the observer (8081), Prometheus (9090) and Kafka's HOST
#     listener (9092) do not, though each answers on this machine's 127.0.0.1;
#   - Grafana (no offline stand-in) is the one other port the compose file publishes beyond it;
#   - Prometheus refuses its lifecycle API; PUT /rate above MAX_RATE answers 400, PUT /partitions
#     below the current count 409;
#   - the load generator warns when the external listener advertises a loopback address, and the
#     laptop indeed gets 127.0.0.1 from it; it does not warn with the LAN address;
#   - `up -d` after a change in the environment keeps CONSUMER_REPLICAS consumers;
#   - a participant's `join` (issue 18 item 1), run with node on the laptop: with the loopback
#     address it fails with exit 12 and says so; with the LAN address its checks pass, an eager
#     client is refused (exit 13), and it joins and owns partitions in the observer's /groups; the
#     image's `join` gives the same verdicts from the stack's network;
#   - `lab status`, `lab rate`, `lab partitions` through `docker compose exec` (item 3).
# Tears everything down in every case; exits non-zero on failure.
#
# Environment: COMPOSE (default docker-compose), COMPOSE_PROJECT_NAME (default labwifi), LAB_IMAGE
# (default consumer-group-lab:latest, the image compose-e2e.sh built; built from this tree when
# absent), WIFI_NET (the first three octets of the /24 used, default 10.213.7), NETNS (default
# labwifi-laptop), SKIP_SETUP=1 to skip installing/starting Docker and building the stand-ins.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

read -r -a compose <<<"${COMPOSE:-docker-compose}"
export LAB_IMAGE=${LAB_IMAGE:-consumer-group-lab:latest}
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-labwifi}
export CONSUMER_REPLICAS=2 RATE=20 LAB_PROTOCOL=cooperative
net=${WIFI_NET:-10.213.7}
ns=${NETNS:-labwifi-laptop}
# Interface names are at most 15 characters.
veth_host="vw${net##*.}h" veth_laptop="vw${net##*.}l"
host_ip=$net.1 laptop_ip=$net.2

dc() { "${compose[@]}" -f docker-compose.yml "$@"; }
log() { printf '[wifi-e2e %s] %s\n' "$(date +%T)" "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }
on_laptop() { ip netns exec "$ns" "$@"; }
# True when a TCP connection to host:port is accepted within 3 s.
answers() { timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

join_pid=
finish() {
  local rc=$?
  [[ -z $join_pid ]] || kill "$join_pid" 2>/dev/null || true
  [[ $rc == 0 ]] || { dc ps >&2 || true; dc logs --no-color --tail=30 kafka producer >&2 || true; }
  dc down -v --remove-orphans >/dev/null 2>&1 || true
  ip netns del "$ns" 2>/dev/null || true
  ip link del "$veth_host" 2>/dev/null || true
  if [[ $rc == 0 ]]; then log PASS; else log "exit $rc"; fi
  exit $rc
}
trap finish EXIT

if [[ "${SKIP_SETUP:-0}" != 1 ]]; then
  "$here/setup-docker.sh"
  "$here/build-images.sh" node kafka prometheus
fi
command -v kcat >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kcat >/dev/null; }

# --- the laptop --------------------------------------------------------------------------------
ip netns add "$ns"
ip link add "$veth_host" type veth peer name "$veth_laptop"
ip link set "$veth_laptop" netns "$ns"
ip addr add "$host_ip/24" dev "$veth_host"
ip link set "$veth_host" up
on_laptop ip addr add "$laptop_ip/24" dev "$veth_laptop"
on_laptop ip link set "$veth_laptop" up
on_laptop ip link set lo up
log "laptop: namespace $ns at $laptop_ip; this machine is $host_ip to it"

# --- the compose file: what it publishes beyond this machine ------------------------------------
dc config -q || fail "docker-compose.yml does not validate"
open_ports=$(dc config | python3 -c '
import sys, yaml
for name, svc in yaml.safe_load(sys.stdin)["services"].items():
    for p in svc.get("ports", []):
        if isinstance(p, dict):
            ip, pub = p.get("host_ip", ""), p.get("published")
        else:
            parts = str(p).split("/")[0].split(":")
            ip, pub = (parts[0] if len(parts) == 3 else ""), parts[-2]
        if ip not in ("127.0.0.1", "localhost"):
            print(f"{name}:{pub}")' | sort | tr '\n' ' ')
[[ $open_ports == "grafana:3000 kafka:9094 " ]] || fail "published beyond this machine: '$open_ports', want only grafana:3000 kafka:9094"
log "published beyond this machine: $open_ports"

# --- the stack, first as the defaults leave it: the external listener advertises 127.0.0.1 -------
docker image inspect "$LAB_IMAGE" >/dev/null 2>&1 || { log "building $LAB_IMAGE from this tree"; dc build producer >/dev/null; }
dc down -v --remove-orphans >/dev/null 2>&1 || true
log "starting kafka, producer, $CONSUMER_REPLICAS consumers, observer, prometheus (project $COMPOSE_PROJECT_NAME)"
KAFKA_EXTERNAL_HOST=127.0.0.1 dc up -d kafka producer consumer observer prometheus
# The load generator's verdict on the external listener: its last log line about it.
external_check() {
  dc logs --no-color producer | sed 's/^[^{]*//' \
    | jq -cR 'fromjson? | select(.externalListener != null and (.msg | test("external listener")))' | tail -n 1
}
for _ in $(seq 1 120); do [[ -n $(external_check) ]] && break; sleep 1; done
line=$(external_check)
[[ $(jq -r .level <<<"$line") == warn && $(jq -r .msg <<<"$line") == *"127.0.0.1:9094, a loopback address"*KAFKA_EXTERNAL_HOST* ]] \
  || fail "no loopback warning from the load generator: '$line'"
log "load generator warned: $(jq -r .msg <<<"$line" | cut -c1-100)..."
on_laptop kcat -L -b "$host_ip:9094" -m 10 2>/dev/null | grep -q 'broker 1 at 127.0.0.1:9094' \
  || fail "the laptop was not told 127.0.0.1:9094 (what the warning is about)"
log "laptop bootstraps through $host_ip:9094 and is told 127.0.0.1:9094, as warned"

# A participant's join check says the same in words, with its own exit code (12), from the laptop
# (node, the compiled tree: a container started from this netns would not run in it) and from the
# image on the stack's network (kafka:9094, the listener the laptop uses).
join_started=$(date +%s)
join_check() { on_laptop timeout 60 node dist/src/main.js join --check-only --name laptop-alice --bootstrap "$host_ip:9094" "$@"; }
image_join_check() { docker run --rm --network "${COMPOSE_PROJECT_NAME}_default" "$LAB_IMAGE" join --check-only --name in-image --bootstrap kafka:9094; }
rc=0; out=$(join_check 2>&1) || rc=$?
[[ $rc == 12 && $out == *"FAIL advertised address: "*"127.0.0.1:9094, a loopback address"*KAFKA_EXTERNAL_HOST* ]] \
  || fail "join from the laptop against a loopback advertised address: exit $rc, want 12 with the loopback message: $out"
log "laptop join check: exit 12, $(grep FAIL <<<"$out" | cut -c1-110)..."
rc=0; out=$(image_join_check 2>&1) || rc=$?
[[ $rc == 12 && $out == *"a loopback address"* ]] || fail "the image's join check: exit $rc, want 12: $out"
log "image join check on the stack's network: exit 12"
join_seconds=$(( $(date +%s) - join_started ))

# --- an .env change and `up -d`: the LAN address; the group keeps its replicas -------------------
export KAFKA_EXTERNAL_HOST=$host_ip
dc up -d kafka producer consumer observer prometheus
# The check runs once at the load generator's start; recreate it so it looks again.
dc up -d --no-deps --force-recreate producer
for _ in $(seq 1 120); do [[ $(external_check) == *"$host_ip:9094"* ]] && break; sleep 1; done
line=$(external_check)
[[ $(jq -r .level <<<"$line") == info && $(jq -r '.advertised[0]' <<<"$line") == "$host_ip:9094" ]] \
  || fail "with KAFKA_EXTERNAL_HOST=$host_ip the load generator did not report it without a warning: '$line'"
running=$(dc ps -q consumer | xargs -r docker inspect --format '{{.State.Running}}' | grep -c true || true)
[[ $running == "$CONSUMER_REPLICAS" ]] || fail "$running consumers run after 'up -d', want CONSUMER_REPLICAS=$CONSUMER_REPLICAS"
log "after 'up -d' with a new KAFKA_EXTERNAL_HOST: $running consumers run (CONSUMER_REPLICAS=$CONSUMER_REPLICAS); no warning"

# --- from the laptop: only 9094 answers ----------------------------------------------------------
for _ in $(seq 1 60); do on_laptop kcat -L -b "$host_ip:9094" -t lab-events -m 5 2>/dev/null | grep -q 'topic "lab-events" with' && break; sleep 1; done
on_laptop kcat -L -b "$host_ip:9094" -t lab-events -m 5 | grep -q "broker 1 at $host_ip:9094" || fail "the laptop is not told $host_ip:9094"
got=$(on_laptop timeout 30 kcat -C -b "$host_ip:9094" -t lab-events -o beginning -c 5 -e -q | wc -l)
[[ $got == 5 ]] || fail "the laptop read $got messages through 9094, want 5"
log "laptop: 9094 answers (metadata names $host_ip:9094; read 5 messages)"
for port in 8080 8081 9090 9092; do
  answers 127.0.0.1 "$port" || fail "port $port does not answer on this machine either: the check below would prove nothing"
  ! on_laptop bash -c "$(declare -f answers); answers $host_ip $port" || fail "port $port answers from the laptop"
  log "port $port: answers on 127.0.0.1, not from the laptop"
done

# --- what the controls and Prometheus refuse -----------------------------------------------------
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST localhost:9090/-/reload)
[[ $code == 403 ]] || fail "POST /-/reload answered $code, want 403 (lifecycle API off)"
body=$(curl -s -w ' %{http_code}' -X PUT localhost:8080/rate -d 100000)
[[ $body == *"MAX_RATE"*" 400" ]] || fail "PUT /rate 100000 answered '$body', want 400 naming MAX_RATE"
body=$(curl -s -w ' %{http_code}' -X PUT localhost:8080/partitions -d 1)
[[ $body == *"can only be added"*" 409" ]] || fail "PUT /partitions 1 answered '$body', want 409"
log "lifecycle API 403; rate 100000 refused (400); partitions 1 refused (409)"

# --- item 1 with the LAN address: a participant's laptop joins ------------------------------------
join_started=$(date +%s)
rc=0; out=$(join_check --protocol eager 2>&1) || rc=$?
[[ $rc == 13 && $out == *"FAIL group protocol: "*"cooperative-sticky"*"--protocol cooperative"* ]] \
  || fail "an eager join into the cooperative group: exit $rc, want 13 naming --protocol cooperative: $out"
log "laptop join check with --protocol eager: exit 13 (the group is cooperative-sticky)"
rc=0; out=$(image_join_check 2>&1) || rc=$?
[[ $rc == 0 && $(grep -c '^ok ' <<<"$out") == 4 ]] || fail "the image's join check with the LAN address: exit $rc, want 0 and 4 checks ok: $out"
log "image join check on the stack's network: 4 checks ok"
join_log=$(mktemp)
ip netns exec "$ns" node dist/src/main.js join --name laptop-alice --bootstrap "$host_ip:9094" >"$join_log" 2>&1 &
join_pid=$!
for _ in $(seq 1 90); do grep -Eq 'laptop-alice owns [0-9]+ partitions' "$join_log" && break; sleep 1; done
grep -Eq 'laptop-alice owns [0-9]+ partitions' "$join_log" || { cat "$join_log" >&2; fail "the laptop's join did not report owning partitions"; }
log "laptop: $(grep -E 'owns [0-9]+ partitions' "$join_log" | tail -n 1)"
member() { curl -s localhost:8081/groups | jq -c '.groups[] | select(.group == "lab-group") | .members[] | select(.member == "laptop-alice")'; }
for _ in $(seq 1 30); do [[ $(member | jq '.partitions | length' 2>/dev/null) -gt 0 ]] 2>/dev/null && break; sleep 1; done
seen=$(member)
[[ $(jq -r .clientHost <<<"$seen") == *"$laptop_ip" && $(jq '.partitions | length' <<<"$seen") -gt 0 ]] \
  || fail "the observer's /groups does not show laptop-alice from $laptop_ip owning partitions: '$seen'"
log "observer: laptop-alice from $laptop_ip owns $(jq -c .partitions <<<"$seen")"

# --- item 3: the controls through docker compose exec, words that read the same in any shell -------
status=$(dc exec -T producer lab status)
grep -Eq "^  laptop-alice +$laptop_ip +[0-9,-]+ +[0-9-]+$" <<<"$status" || fail "lab status has no row for laptop-alice at $laptop_ip: $status"
grep -Eq '^group lab-group: classic cooperative-sticky, Stable, 3 members' <<<"$status" || fail "lab status does not show the group with 3 members: $status"
log "lab status:"; sed 's/^/    /' <<<"$status" >&2
[[ $(dc exec -T producer lab rate 50) == "rate: 50 messages/s" ]] || fail "lab rate 50 did not set the rate"
[[ $(curl -s localhost:8080/rate | jq .rate) == 50 ]] || fail "the load generator's rate is not 50 after lab rate 50"
rc=0; out=$(dc exec -T producer lab rate 100000) || rc=$?
[[ $rc == 1 && $out == "refused (400): "*MAX_RATE* ]] || fail "lab rate 100000: exit $rc, '$out', want 1 and the MAX_RATE refusal"
[[ $(dc exec -T producer lab partitions 16) == "partitions: 16" ]] || fail "lab partitions 16 did not grow the topic"
log "lab rate 50, lab rate 100000 (refused, exit 1), lab partitions 16: as expected"
kill -INT "$join_pid"
rc=0; wait "$join_pid" || rc=$?
join_pid=
[[ $rc == 0 ]] && grep -q 'laptop-alice left group lab-group' "$join_log" || { cat "$join_log" >&2; fail "the laptop's join did not leave cleanly on Ctrl-C (exit $rc)"; }
log "laptop: Ctrl-C left the group (exit 0); join and controls checks took $(( join_seconds + $(date +%s) - join_started )) s"
