#!/usr/bin/env bash
# Makes a Docker engine and compose v1 available on a Debian machine (CI or a fresh VM): installs
# docker.io, docker-compose, debootstrap (and curl, jq) when missing, starts dockerd in the background when no
# engine answers, and waits until it does. Does nothing on a machine where `docker info` works and
# the tools are present.
set -euo pipefail
log() { printf '[setup-docker] %s\n' "$*" >&2; }

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v debootstrap >/dev/null || missing+=(debootstrap)
# compose-e2e.sh queries Prometheus' HTTP API with these.
command -v curl >/dev/null || missing+=(curl)
command -v jq >/dev/null || missing+=(jq)
if [[ ${#missing[@]} -gt 0 ]]; then
  [[ $(id -u) == 0 ]] || { log "need root to install ${missing[*]}"; exit 1; }
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if docker info >/dev/null 2>&1; then
  log "engine is up: $(docker info --format '{{.ServerVersion}}')"
  exit 0
fi
[[ $(id -u) == 0 ]] || { log "no engine answers and starting one needs root"; exit 1; }
log "starting dockerd (log: ${DOCKERD_LOG:=/tmp/dockerd.log})"
nohup dockerd >"$DOCKERD_LOG" 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    log "engine is up: $(docker info --format '{{.ServerVersion}}')"
    exit 0
  fi
  sleep 1
done
log "dockerd did not answer within 60 s; last lines of $DOCKERD_LOG:"
tail -20 "$DOCKERD_LOG" >&2
exit 1
