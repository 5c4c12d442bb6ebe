#!/usr/bin/env bash
# The compose plugin (`docker compose`) that users have, for the CI machine, which has only
# Debian's docker-compose 1.29: Docker Compose built from its source on the Go module proxy (the
# only place it can come from without internet) and installed as a Docker CLI plugin for root.
# Idempotent: an installed plugin of the same version is kept. Takes 2-3 minutes on 2 cores.
set -euo pipefail
version=${COMPOSE_VERSION:-v5.6.0}
plugin=${HOME}/.docker/cli-plugins/docker-compose
if [[ -x $plugin ]] && [[ -f $plugin.version ]] && [[ $(cat "$plugin.version") == "$version" ]]; then
  echo "compose-plugin: $version already installed: $("$plugin" version)"
  exit 0
fi
command -v go >/dev/null || { echo "compose-plugin: Go is needed to build Docker Compose (apt-get install golang-go, or the machine's Go)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# `go install` refuses a module with replace/exclude directives, so the source is built as the
# main module from a writable copy of the module cache.
dir=$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "github.com/docker/compose/v5@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
[[ -d $dir ]] || { echo "compose-plugin: could not download github.com/docker/compose/v5@$version from the Go module proxy" >&2; exit 1; }
cp -r "$dir" "$work/src"
chmod -R u+w "$work/src"
mkdir -p "$(dirname "$plugin")"
(cd "$work/src" && go build -trimpath -o "$plugin" ./cmd)
echo "$version" > "$plugin.version"
echo "compose-plugin: installed $plugin: $("$plugin" version)"
docker compose version
