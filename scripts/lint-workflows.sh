#!/usr/bin/env bash
# Lints the GitHub Actions workflows (.github/workflows) with actionlint: expressions, contexts,
# action inputs, permissions, and the shell in every `run:` through shellcheck. Nothing here can
# run those workflows (no GitHub), so this is what checks them before a tag is pushed.
# Installs what it needs: shellcheck from Debian, actionlint with `go install` from the Go module
# proxy, and, when no Go >= 1.25 (what actionlint needs) is on the PATH, the Go toolchain itself
# from the same proxy (the module `go` fetches for GOTOOLCHAIN), checked against a pinned SHA-256.
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIONLINT_VERSION=v1.7.12
GO_TOOLCHAIN=go1.25.0
declare -A GO_TOOLCHAIN_SHA256=(
  [amd64]=891083c63e4d7a5020bdaa1911a9c5a1a966b993d9d3c1137d1727be04435e02
  [arm64]=5b6d398c5062f2094ea8efd8487bd93f4b5a2876cbab4d635e747da9567b7705
)
tools=$PWD/.cache/tools
actionlint=$tools/actionlint-$ACTIONLINT_VERSION/actionlint
log() { printf '[lint-workflows] %s\n' "$*" >&2; }

if ! command -v shellcheck >/dev/null; then
  log "installing shellcheck (Debian)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck >/dev/null
fi

go_is_new_enough() {
  command -v go >/dev/null || return 1
  local v; v=$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null) || return 1
  v=${v#go}
  local major=${v%%.*} rest=${v#*.}
  local minor=${rest%%.*}
  (( major > 1 || (major == 1 && minor >= 25) ))
}

if [[ ! -x $actionlint ]]; then
  go=go
  if ! go_is_new_enough; then
    arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
    case $arch in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; esac
    sum=${GO_TOOLCHAIN_SHA256[$arch]:-}
    [[ -n $sum ]] || { log "no pinned Go toolchain for $arch"; exit 1; }
    dir=$tools/$GO_TOOLCHAIN.linux-$arch
    if [[ ! -x $dir/bin/go ]]; then
      log "fetching Go toolchain $GO_TOOLCHAIN ($arch) from the Go module proxy"
      for tool in curl unzip; do
        command -v $tool >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $tool >/dev/null; }
      done
      zip=$(mktemp)
      curl -fsSL -o "$zip" "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-$GO_TOOLCHAIN.linux-$arch.zip"
      echo "$sum  $zip" | sha256sum -c --quiet - || { log "Go toolchain checksum mismatch"; exit 1; }
      rm -rf "$dir" "$dir.tmp" && mkdir -p "$dir.tmp"
      unzip -q "$zip" -d "$dir.tmp" && rm -f "$zip"
      mv "$dir.tmp/golang.org/toolchain@v0.0.1-$GO_TOOLCHAIN.linux-$arch" "$dir" && rm -rf "$dir.tmp"
    fi
    go=$dir/bin/go
  fi
  log "go install github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
  GOTOOLCHAIN=local GOFLAGS=-mod=mod GOBIN=$(dirname "$actionlint") "$go" install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
fi

log "actionlint $ACTIONLINT_VERSION, shellcheck $(shellcheck --version | sed -n 's/^version: //p')"
"$actionlint" -no-color
log "workflows OK: $(cd .github/workflows && echo *)"
