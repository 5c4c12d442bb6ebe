#!/usr/bin/env bash
# Checks the Prometheus configuration and rules like code: the config parses, the rules parse, and
# every rule behaves as its synthetic-series tests in prometheus/rules.test.yml say.
# Needs promtool (Debian: apt-get install -y prometheus). Run from anywhere.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

if ! command -v promtool >/dev/null 2>&1; then
  echo "promtool not found: install it with 'apt-get install -y prometheus'" >&2
  exit 1
fi
echo "# $(promtool --version 2>&1 | head -n1)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# prometheus.yml names the rules by their path inside the container; point that at the repo file.
sed -e "s|/etc/prometheus/rules.yml|$root/prometheus/rules.yml|" -e "s|/etc/prometheus/remote/|$root/prometheus/remote/|" prometheus.yml > "$tmp/prometheus.yml"
if ! grep -q "$root/prometheus/rules.yml" "$tmp/prometheus.yml"; then
  echo "prometheus.yml no longer references /etc/prometheus/rules.yml; update $0" >&2
  exit 1
fi

echo "# promtool check config prometheus.yml (rule path rewritten to prometheus/rules.yml)"
promtool check config "$tmp/prometheus.yml"

echo "# promtool check rules prometheus/rules.yml"
promtool check rules prometheus/rules.yml

echo "# promtool test rules prometheus/rules.test.yml"
promtool test rules prometheus/rules.test.yml

echo "# observability checks passed"
