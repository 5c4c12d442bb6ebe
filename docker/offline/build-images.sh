#!/usr/bin/env bash
# Builds local stand-ins for the public images that Dockerfile and docker-compose.yml name, under
# the same names and tags, so the stack runs on a machine that cannot reach a container registry:
#   node:20.19-bookworm-slim  Debian minbase + this machine's node 20 and npm
#   apache/kafka:4.3.1        Debian's JRE + the broker jars from Maven Central
#   prom/prometheus:v2.53.3   Debian's prometheus package (an older 2.x binary; same flags and API)
#   registry:2                Debian's docker-registry package (the same Distribution registry)
# and, for the multi-host test only (swarm-e2e.sh), lab-offline/swarm-node:local: a Docker engine
# from Debian's docker.io to run inside a container, one per simulated laptop.
# grafana/grafana has no Debian package and cannot be built here; offline runs leave it out.
# An image that already exists (pulled, or built before) is kept; FORCE=1 rebuilds the stand-ins.
# debootstrap trees are cached as tarballs in .cache/offline (git-ignored).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache="$root/.cache/offline"
mkdir -p "$cache"

NODE_IMAGE=${NODE_IMAGE:-node:20.19-bookworm-slim}
KAFKA_IMAGE=${KAFKA_IMAGE:-apache/kafka:4.3.1}
PROMETHEUS_IMAGE=${PROMETHEUS_IMAGE:-prom/prometheus:v2.53.3}
REGISTRY_IMAGE=${REGISTRY_IMAGE:-registry:2}
SWARM_NODE_IMAGE=lab-offline/swarm-node:local
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

scratch=()
trap 'rm -rf "${scratch[@]}"' EXIT
new_context() { ctx=$(mktemp -d); scratch+=("$ctx"); }
log() { printf '[build-images] %s\n' "$*" >&2; }
have_image() { [[ "${FORCE:-0}" != 1 ]] && docker image inspect "$1" >/dev/null 2>&1; }

# What Debian's own container images configure: no init system to start services, apt keeps no
# package cache and no binary caches (about 70 MB a layer otherwise), dpkg skips documentation.
slim_tree() {
  local tree=$1
  printf '#!/bin/sh\nexit 101\n' > "$tree/usr/sbin/policy-rc.d"; chmod +x "$tree/usr/sbin/policy-rc.d"
  cat > "$tree/etc/apt/apt.conf.d/docker-clean" <<'CONF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CONF
  printf 'Acquire::Languages "none";\n' > "$tree/etc/apt/apt.conf.d/docker-no-languages"
  printf 'APT::AutoRemove::SuggestsImportant "false";\n' > "$tree/etc/apt/apt.conf.d/docker-autoremove-suggests"
  mkdir -p "$tree/etc/dpkg/dpkg.cfg.d"
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' \
    'path-exclude /usr/share/locale/*' 'path-include /usr/share/locale/locale.alias' > "$tree/etc/dpkg/dpkg.cfg.d/docker"
  rm -rf "$tree"/var/cache/apt/archives/*.deb "$tree"/var/cache/apt/*.bin "$tree"/var/lib/apt/lists/* \
         "$tree"/usr/share/man/* "$tree"/usr/share/info/*
  find "$tree/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete 2>/dev/null || true
  find "$tree/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
}

# A Debian bookworm minbase tree with extra packages, trimmed the way debian:bookworm-slim is
# (no package cache, docs, man pages or translations), imported as a base image.
base_image() {
  local name=$1 packages=$2 image="lab-offline/bookworm-$1:local"
  local tarball="$cache/rootfs-$name.tar" tree="$cache/rootfs-$name.tmp"
  if [[ ! -f "$tarball" ]]; then
    log "debootstrap $name ($packages), about a minute"
    rm -rf "$tree"
    debootstrap --variant=minbase --include="$packages" bookworm "$tree" "$MIRROR" >"$cache/debootstrap-$name.log" 2>&1 \
      || { tail -20 "$cache/debootstrap-$name.log" >&2; exit 1; }
    slim_tree "$tree"
    tar -C "$tree" --numeric-owner -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
    rm -rf "$tree"
  fi
  if ! docker image inspect "$image" >/dev/null 2>&1 || [[ "$tarball" -nt "$cache/.imported-$name" ]]; then
    log "importing $image"
    docker import "$tarball" "$image" >/dev/null
    touch "$cache/.imported-$name"
  fi
}

build_node() {
  if have_image "$NODE_IMAGE"; then log "$NODE_IMAGE present, kept"; return; fi
  base_image minbase ca-certificates
  local node; node=$(command -v node)
  [[ "$("$node" --version)" == v20.* ]] || { log "need node 20 on this machine, found $("$node" --version)"; exit 1; }
  new_context
  cp "$here/node/Dockerfile" "$ctx/"
  cp "$(readlink -f "$node")" "$ctx/node"
  # npm and the node headers sit next to the binary: PREFIX/lib/node_modules/npm, PREFIX/include/node.
  local prefix; prefix=$(cd "$(dirname "$(readlink -f "$node")")/.." && pwd)
  cp -a "$prefix/lib/node_modules/npm" "$ctx/npm"
  # A distribution's builtin npmrc (Debian/NodeSource point nodedir at /usr) does not fit /usr/local.
  rm -f "$ctx/npm/npmrc"
  cp -a "$prefix/include/node" "$ctx/include"
  mkdir "$ctx/extra-ca"
  cp /usr/local/share/ca-certificates/*.crt "$ctx/extra-ca/" 2>/dev/null || true
  log "building $NODE_IMAGE from node $("$node" --version)"
  docker build -q -t "$NODE_IMAGE" "$ctx" >/dev/null
}

build_kafka() {
  if have_image "$KAFKA_IMAGE"; then log "$KAFKA_IMAGE present, kept"; return; fi
  base_image jre ca-certificates,openjdk-17-jre-headless
  local version=${KAFKA_IMAGE##*:} libs
  libs=$(KAFKA_VERSION="$version" "$root/scripts/kafka-jars.sh")
  new_context
  cp -a "$here/kafka/." "$ctx/"
  mkdir "$ctx/libs"; cp "$libs"/*.jar "$ctx/libs/"
  log "building $KAFKA_IMAGE from $(ls "$ctx/libs" | wc -l) Maven jars"
  docker build -q -t "$KAFKA_IMAGE" "$ctx" >/dev/null
}

build_prometheus() {
  if have_image "$PROMETHEUS_IMAGE"; then log "$PROMETHEUS_IMAGE present, kept"; return; fi
  base_image minbase ca-certificates
  local deb; new_context
  # The .deb is unpacked, not installed: the image needs two static binaries, not the service.
  deb=$(ls "$cache"/prometheus_*.deb 2>/dev/null | head -1 || true)
  if [[ -z "$deb" ]]; then
    (cd "$cache" && apt-get -o APT::Sandbox::User=root download prometheus >/dev/null)
    deb=$(ls "$cache"/prometheus_*.deb | head -1)
  fi
  dpkg-deb -x "$deb" "$ctx/pkg"
  cp "$here/prometheus/Dockerfile" "$here/prometheus/prometheus.yml" "$ctx/"
  cp "$ctx/pkg/usr/bin/prometheus" "$ctx/pkg/usr/bin/promtool" "$ctx/"
  rm -rf "$ctx/pkg"
  log "building $PROMETHEUS_IMAGE from $(basename "$deb")"
  docker build -q -t "$PROMETHEUS_IMAGE" "$ctx" >/dev/null
}

# The Dockerfiles install Debian packages with apt inside the build, from the stand-in base.
build_debian() {
  local image=$1 dir=$2
  if have_image "$image"; then log "$image present, kept"; return; fi
  base_image minbase ca-certificates
  log "building $image from Debian packages"
  docker build -q -t "$image" "$here/$dir" >/dev/null
}

targets=("$@"); [[ ${#targets[@]} -gt 0 ]] || targets=(node kafka prometheus)
for t in "${targets[@]}"; do
  case $t in
    node) build_node ;;
    kafka) build_kafka ;;
    prometheus) build_prometheus ;;
    registry) build_debian "$REGISTRY_IMAGE" registry ;;
    swarm-node) build_debian "$SWARM_NODE_IMAGE" swarm-node ;;
    *) log "unknown stand-in: $t (node, kafka, prometheus, registry, swarm-node)"; exit 2 ;;
  esac
done
docker image ls --format '{{.Repository}}:{{.Tag}}\t{{.Size}}' | grep -E "^(${NODE_IMAGE}|${KAFKA_IMAGE}|${PROMETHEUS_IMAGE}|${REGISTRY_IMAGE}|${SWARM_NODE_IMAGE})\s" >&2 || true
