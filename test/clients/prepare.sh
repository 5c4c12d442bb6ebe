#!/usr/bin/env bash
# Builds the participants' client programs of `npm run clients` into .cache/clients, installing
# what they need on a fresh Debian bookworm machine: kcat (apt), a Python venv with confluent-kafka
# (PyPI), the Go program with franz-go (Go module proxy), the Java program against the broker's
# own kafka-clients jar. Each step is skipped when its output is newer than its sources.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.cache/clients
mkdir -p "$out"

need_apt=()
command -v kcat >/dev/null || need_apt+=(kcat)
command -v javac >/dev/null || need_apt+=(openjdk-17-jdk-headless)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "clients: installing ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

libs=$(scripts/kafka-jars.sh)
if [ ! -f "$out/java/LabClient.class" ] || [ test/clients/java/LabClient.java -nt "$out/java/LabClient.class" ]; then
  javac -d "$out/java" -cp "$libs/*" test/clients/java/LabClient.java
fi

if [ ! -x "$out/venv/bin/python" ] || [ test/clients/python/requirements.txt -nt "$out/venv/.installed" ]; then
  python3 -m venv "$out/venv"
  "$out/venv/bin/pip" install -q --disable-pip-version-check -r test/clients/python/requirements.txt
  touch "$out/venv/.installed"
fi

# franz-go 1.22 (the first with ServerSideBalancer, KIP-848) needs Go >= 1.26; Debian's is 1.19.
# Without one on the PATH, the toolchain comes from the Go module proxy, checked against a pinned
# SHA-256 (as scripts/lint-workflows.sh does for its own Go).
GO_TOOLCHAIN=go1.26.0
declare -A GO_TOOLCHAIN_SHA256=(
  [amd64]=38461905b98c59173672814302e222ab43b652274bc0c95817b08b71ab66b705
  [arm64]=4c3f961bc257ff52e7a425166f9f75015f645dff071d01a81823455ffe646609
)
go_is_new_enough() {
  local v; v=$(GOTOOLCHAIN=local "$1" env GOVERSION 2>/dev/null) || return 1
  v=${v#go}
  local major=${v%%.*} rest=${v#*.}
  local minor=${rest%%.*}
  (( major > 1 || (major == 1 && minor >= 26) ))
}
if [ ! -x "$out/lab-client-go" ] || [ -n "$(find test/clients/go -newer "$out/lab-client-go" -type f)" ]; then
  go=$(command -v go || true)
  if [ -z "$go" ] || ! go_is_new_enough "$go"; then
    arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
    case $arch in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; esac
    dir=$PWD/.cache/tools/$GO_TOOLCHAIN.linux-$arch
    if [ ! -x "$dir/bin/go" ]; then
      echo "clients: fetching Go toolchain $GO_TOOLCHAIN ($arch) from the Go module proxy"
      for tool in curl unzip; do
        command -v $tool >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $tool >/dev/null; }
      done
      zip=$(mktemp)
      curl -fsSL -o "$zip" "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-$GO_TOOLCHAIN.linux-$arch.zip"
      echo "${GO_TOOLCHAIN_SHA256[$arch]:?no pinned Go toolchain for $arch}  $zip" | sha256sum -c --quiet - || { echo "clients: Go toolchain checksum mismatch" >&2; exit 1; }
      rm -rf "$dir" "$dir.tmp" && mkdir -p "$dir.tmp"
      unzip -q "$zip" -d "$dir.tmp" && rm -f "$zip"
      mv "$dir.tmp/golang.org/toolchain@v0.0.1-$GO_TOOLCHAIN.linux-$arch" "$dir" && rm -rf "$dir.tmp"
    fi
    go=$dir/bin/go
  fi
  (cd test/clients/go && GOTOOLCHAIN=local GOFLAGS=-mod=mod "$go" build -o "../../../$out/lab-client-go" .)
fi
echo "clients: kcat $(kcat -V 2>&1 | sed -n 's/^Version \([^ ]*\) .*librdkafka \([^ ]*\) .*/\1 (librdkafka \2)/p'), $("$out/venv/bin/python" -c 'import confluent_kafka as c; import importlib.metadata as m; print("confluent-kafka", m.version("confluent-kafka"), "(librdkafka", c.libversion()[0] + ")")'), franz-go $(sed -n 's/.*twmb\/franz-go v/v/p' test/clients/go/go.mod | head -1), kafka-clients $(ls "$libs" | sed -n 's/^kafka-clients-\(.*\)\.jar$/\1/p'), kafkajs $(node -p 'require("kafkajs/package.json").version')"
