#!/usr/bin/env bash
# Everything .github/workflows/release.yml does for a version tag, up to the push to GHCR, with a
# local registry (the registry:2 stand-in) playing ghcr.io: the project image built from this tree
# with the release's tags and OCI labels, pushed as 127.0.0.1:PORT/<owner>/consumer-group-lab
# (the path of the name .env gives compose), checked in the registry (tags, platform, labels),
# removed here, pulled back and run: its consumer must start on the patched node-rdkafka.
# The consumer-only variant (Dockerfile target `consumer`, tag suffix -consumer) goes the same way
# when the Dockerfile has that target.
# Not done here: the push to ghcr.io itself (no internet), and arm64 (building librdkafka under
# QEMU emulation takes far too long on this machine): the image is amd64 only.
#
# Environment: PUBLISH_NAME (lab-publish: prefix of the registry container and the run
# containers), SKIP_SETUP=1 to skip installing/starting Docker and building the stand-in images.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

name=${PUBLISH_NAME:-lab-publish}
log() { printf '[publish-e2e %s] %s\n' "$(date +%T)" "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }
t0=$(date +%s)

if [[ "${SKIP_SETUP:-0}" != 1 ]]; then
  "$here/setup-docker.sh"
  "$here/build-images.sh" node registry
fi

# What the release workflow computes from the tag v<version>: <version>, <major>.<minor>, latest.
version=$(node -p "require('./package.json').version")
tags=("$version" "${version%.*}" latest)
published=$(sed -n 's/^LAB_IMAGE=//p' .env)
[[ $published == ghcr.io/*/consumer-group-lab:* ]] || fail ".env's LAB_IMAGE ($published) is not ghcr.io/<owner>/consumer-group-lab:<tag>"
path=${published#ghcr.io/}
path=${path%%:*}

port=$(node -e "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })")
registry=127.0.0.1:$port
repo=$registry/$path
# The engine trusts plain HTTP on 127.0.0.0/8 without configuration, as it trusts ghcr.io's TLS.

variants=(full)
grep -qiE '^FROM .* AS consumer\s*$' Dockerfile && variants+=(consumer)
images=()
cleanup() {
  docker rm -f "$name-registry" "$name-run" >/dev/null 2>&1 || true
  for image in "${images[@]}"; do docker rmi "$image" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

log "registry:2 on $registry plays ghcr.io"
docker rm -f "$name-registry" >/dev/null 2>&1 || true
docker run -d --name "$name-registry" -p "$registry:5000" registry:2 >/dev/null
for _ in $(seq 50); do curl -fsS "http://$registry/v2/" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS "http://$registry/v2/" >/dev/null || fail "registry does not answer"

revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
for variant in "${variants[@]}"; do
  suffix=; target=()
  [[ $variant == consumer ]] && { suffix=-consumer; target=(--target consumer); }
  [[ $variant == full ]] && grep -qiE '^FROM .* AS full\s*$' Dockerfile && target=(--target full)
  # The labels docker/metadata-action gives the release (and the two the workflow sets).
  labels=(
    --label "org.opencontainers.image.title=consumer-group-lab${suffix:+ (consumer only)}"
    --label "org.opencontainers.image.version=$version"
    --label "org.opencontainers.image.revision=$revision"
    --label "org.opencontainers.image.source=https://github.com/${path%/*}/consumer-group-lab"
    --label "org.opencontainers.image.created=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    --label "org.opencontainers.image.licenses=Apache-2.0"
  )
  first=$repo:$version$suffix
  start=$(date +%s)
  # Every layer but the labels is cached when the compose run built this tree just before.
  docker build -q "${target[@]}" "${labels[@]}" -t "$first" . >/dev/null
  log "built $variant ($first) in $(( $(date +%s) - start )) s, $(docker image inspect -f '{{.Size}}' "$first" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
  for tag in "${tags[@]}"; do
    docker tag "$first" "$repo:$tag$suffix"; images+=("$repo:$tag$suffix")
    docker push -q "$repo:$tag$suffix" >/dev/null || fail "push of $repo:$tag$suffix refused"
  done
  log "pushed ${tags[*]/%/$suffix}"
done

listed=$(curl -fsS "http://$registry/v2/$path/tags/list")
for variant in "${variants[@]}"; do
  suffix=; [[ $variant == consumer ]] && suffix=-consumer
  for tag in "${tags[@]}"; do
    grep -q "\"$tag$suffix\"" <<<"$listed" || fail "registry does not list $tag$suffix: $listed"
  done
done
log "registry lists: $listed"

# Pull back what a laptop pulls: nothing of these names left here, so the tags resolve in the registry.
for image in "${images[@]}"; do docker rmi "$image" >/dev/null; done
for variant in "${variants[@]}"; do
  suffix=; [[ $variant == consumer ]] && suffix=-consumer
  image=$repo:$version$suffix
  docker pull -q "$image" >/dev/null || fail "pull of $image failed"
  images+=("$image")
  [[ $(docker image inspect -f '{{.Os}}/{{.Architecture}}' "$image") == linux/amd64 ]] || fail "$image is not linux/amd64"
  [[ $(docker image inspect -f '{{index .Config.Labels "org.opencontainers.image.version"}}' "$image") == "$version" ]] \
    || fail "$image lacks its OCI version label"
  docker rm -f "$name-run" >/dev/null 2>&1 || true
  docker run -d --name "$name-run" -e KAFKA_BROKERS=127.0.0.1:9 -e LOG_LEVEL=info "$image" consumer >/dev/null
  line=
  for _ in $(seq 100); do
    line=$(docker logs "$name-run" 2>&1 | grep '"consumeHandoff"' || true)
    [[ -n $line ]] && break
    sleep 0.2
  done
  docker rm -f "$name-run" >/dev/null
  [[ $line == *'"level":"info"'* && $line == *'"consumeHandoff":"columnar"'* ]] || fail "$image: consumer did not start on the patched hand-off: ${line:-no hand-off line}"
  log "pulled $image: linux/amd64, labelled $version, its consumer starts on the columnar hand-off"
done
log "publish stand-in passed in $(( $(date +%s) - t0 )) s"
