#!/usr/bin/env bash
# `npm ci` as it runs on a user's machine that reaches GitHub, from a Windows-style (CRLF) clone.
#
# @confluentinc/kafka-javascript's install script (node-pre-gyp) downloads a prebuilt binary from
# GitHub's release host whenever it can; a prebuilt binary never carries our patch, so the postinstall
# must compile the patched sources over it. This machine has no internet, so the release host is
# played at the network edge, in a private network and mount namespace: /etc/hosts sends github.com
# to 127.0.0.1, an HTTPS server with a certificate from a throw-away CA serves the tarball under the
# URL and in the layout node-pre-gyp computes and unpacks, and NODE_EXTRA_CA_CERTS trusts that CA.
# The tarball holds an *unpatched* build of the addon (it crashes the observer test), so a pass
# proves the postinstall replaced it.
#
# npm 11.16+ honours our package.json allowScripts, which denies that install script (no download at
# all); --dangerously-allow-all-scripts gives the behaviour of the npm most users have (npm 10, with
# Node 20 and 22), where the script runs and downloads.
#
# Needs: the main tree installed (npm ci) and its Kafka jars (scripts/kafka-jars.sh); root, for
# unshare. Packages come from npm's cache filled by that install (the namespace has no registry).
set -euo pipefail
# The whole script is one function, read before it runs: editing the file during a run (minutes)
# cannot change what runs.
main() {
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
log() { echo "online-install: $*"; }
die() { echo "online-install: FAILED: $*" >&2; exit 1; }

need_apt=()
command -v openssl >/dev/null || need_apt+=(openssl)
command -v patchelf >/dev/null || need_apt+=(patchelf)
command -v unshare >/dev/null || need_apt+=(util-linux)
command -v ip >/dev/null || need_apt+=(iproute2)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

pkg=@confluentinc/kafka-javascript
installed="$root/node_modules/$pkg"
[ -f "$installed/build/config.gypi" ] || die "$installed is not a configured source build: run npm ci first"
work=$(mktemp -d /tmp/online-install.XXXXXX)
# ONLINE_INSTALL_KEEP=1 keeps the clone, the stand-in and the logs for a look afterwards.
cleanup() { if [ "${ONLINE_INSTALL_KEEP:-}" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT

# What node-pre-gyp will ask for, computed by node-pre-gyp itself.
read -r url module_name < <(node -e '
  const v = require(process.argv[1] + "/node_modules/@mapbox/node-pre-gyp/lib/util/versioning.js");
  const pj = require(process.argv[1] + "/node_modules/" + process.argv[2] + "/package.json");
  const o = v.evaluate(pj, {});
  console.log(o.hosted_tarball, o.module_name);' "$root" "$pkg")
path_in_url=${url#https://github.com/}
[ "$path_in_url" != "$url" ] || die "node-pre-gyp no longer downloads from https://github.com/ ($url)"
log "node-pre-gyp will fetch $url"

# --- the stand-in prebuilt: the addon compiled from the *unpatched* sources -----------------------
# A copy of the installed (configured, built) package, un-patched, rebuilt: only the addon compiles.
# gyp's makefiles and command records and librdkafka's Makefile.config keep the absolute folder they
# were configured in: those text files are pointed at the copy, with their times kept, or make would
# re-run librdkafka's configure and compile it all (and install into the original folder).
t0=$(date +%s)
standin="$work/standin/node_modules"
mkdir -p "$standin/@confluentinc"
cp -a "$installed" "$standin/$pkg"
ln -s "$root/node_modules/nan" "$standin/nan"
orig=$(sed -n 's#^cmd_.*LD_LIBRARY_PATH=\([^:]*\)/build/Release/lib.host:.*#\1#p' "$standin/$pkg/build/Release/.deps/deps/librdkafka/config.h.d")
[ -n "$orig" ] || die "cannot find the build directory recorded in $installed/build"
# The top Makefile also reaches /usr through as many ../ as the original folder was deep.
up=$(printf '%s' "$orig" | tr -cd / | sed 's#/#../#g')
grep -rlI --null -e "$orig" -e "\$(srcdir)/$up" "$standin/$pkg/build" "$standin/$pkg/deps/librdkafka" | while IFS= read -r -d '' f; do
  touch -r "$f" "$work/mtime"
  sed -i -e "s#$orig#$standin/$pkg#g" -e "s#\$(srcdir)/$up#/#g" "$f"
  touch -r "$work/mtime" "$f"
done
(cd "$standin/$pkg" && node -e '
  const { parsePatch, applyHunks } = require(process.argv[1]);
  const fs = require("fs");
  for (const { file, hunks } of parsePatch(fs.readFileSync(process.argv[2], "utf8"))) {
    const text = applyHunks(fs.readFileSync(file, "utf8"), hunks, true);
    if (text === null) throw new Error(`${file} does not carry the patch`);
    fs.writeFileSync(file, text);
  }' "$root/scripts/patch-file.cjs" "$(ls "$root"/patches/@confluentinc+kafka-javascript+*.patch)")
# The installed tree is mounted read-only for that build: a path missed above fails the build
# instead of writing into it.
node_gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
[ -f "$node_gyp" ] || node_gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
unshare --mount sh -c 'mount --bind -o ro "$1" "$1" && cd "$2" && CKJS_LINKING=dynamic node "$3" build' \
  sh "$root/node_modules" "$standin/$pkg" "$node_gyp" >"$work/standin-build.log" 2>&1 \
  || { grep -v warning "$work/standin-build.log" | tail -n 40; die "the unpatched stand-in did not compile"; }
# Like the published prebuilt, the stand-in must load on its own in build/Release: its librdkafka
# sits next to it instead of in ../deps.
rel="$work/tarball/Release"
mkdir -p "$rel"
cp "$standin/$pkg/build/Release/$module_name.node" "$rel/"
cp -L "$standin/$pkg/build/deps/librdkafka.so.1" "$standin/$pkg/build/deps/librdkafka++.so.1" "$rel/"
patchelf --set-rpath '$ORIGIN' "$rel/$module_name.node"
standin_sum=$(sha256sum "$rel/$module_name.node" | cut -d' ' -f1)
cmp -s "$rel/$module_name.node" "$installed/build/Release/$module_name.node" && die "the stand-in is the patched addon"
# node-pre-gyp's own layout: one top folder (the module path's last part), unpacked with strip 1.
mkdir -p "$work/www/$(dirname "$path_in_url")"
tar -C "$work/tarball" -czf "$work/www/$path_in_url" Release
log "stand-in prebuilt (unpatched addon) made in $(( $(date +%s) - t0 )) s"

# --- a throw-away CA and a certificate for github.com -------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj '/CN=online-install throw-away CA' \
  -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj '/CN=github.com' -keyout "$work/gh.key" -out "$work/gh.csr" 2>/dev/null
printf 'subjectAltName=DNS:github.com\n' >"$work/san.ext"
openssl x509 -req -in "$work/gh.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 1 \
  -extfile "$work/san.ext" -out "$work/gh.pem" 2>/dev/null
{ grep -v '[[:space:]]github\.com$' /etc/hosts || true; echo '127.0.0.1 github.com'; } >"$work/hosts"
cat >"$work/serve.py" <<'EOF'
import http.server, ssl, sys
root, cert, key = sys.argv[1:4]
class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **k):
        super().__init__(*a, directory=root, **k)
server = http.server.ThreadingHTTPServer(('127.0.0.1', 443), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
print('serving', flush=True)
server.serve_forever()
EOF

# --- the CRLF clone ---------------------------------------------------------------------------------
clone="$work/clone"
git -c core.autocrlf=true clone -q "$root" "$clone"
grep -q $'\r$' "$clone/package.json" || die "the clone is not a CRLF checkout (package.json has LF line ends)"
if grep -l $'\r$' "$clone"/scripts/*.sh "$clone"/scripts/*.mjs "$clone"/scripts/*.cjs "$clone"/patches/*.patch "$clone/Dockerfile" "$clone/.ci/run"; then
  die "files .gitattributes pins to LF were checked out with CRLF (listed above)"
fi
log "CRLF clone: $(grep -rlI $'\r$' "$clone" --exclude-dir=.git | wc -l) text files with CRLF (package.json, src/*.ts, ...); scripts and patches LF"
# The Kafka jars the observer test runs a broker from (Maven, fetched for the main tree already).
ln -s "$root/.cache" "$clone/.cache"

# --- npm ci in the namespace, the release host answering locally --------------------------------
log "npm ci in the clone, github.com answered by 127.0.0.1 (compiles librdkafka twice: minutes)"
t0=$(date +%s)
unshare --mount --net bash -euo pipefail -c '
  work=$1 clone=$2
  ip link set lo up
  mount --bind "$work/hosts" /etc/hosts
  python3 "$work/serve.py" "$work/www" "$work/gh.pem" "$work/gh.key" >"$work/server.log" 2>&1 &
  trap "kill $!" EXIT
  for _ in $(seq 50); do grep -q serving "$work/server.log" && break; sleep 0.1; done
  cd "$clone"
  NODE_EXTRA_CA_CERTS="$work/ca.pem" CKJS_LINKING=dynamic npm ci --offline --dangerously-allow-all-scripts \
    --foreground-scripts --no-audit --no-fund >"$work/npm-ci.log" 2>&1 || { tail -n 60 "$work/npm-ci.log"; exit 1; }
' online-install "$work" "$clone" || die "npm ci failed in the clone (its last lines above)"
install_s=$(( $(date +%s) - t0 ))
log "npm ci took $install_s s"

# --- what happened, and what runs --------------------------------------------------------------------
grep -q "\"GET /$path_in_url HTTP/1.1\" 200" "$work/server.log" \
  || { cat "$work/server.log"; die "node-pre-gyp did not download the stand-in prebuilt"; }
grep -q "is installed via remote" "$work/npm-ci.log" || die "node-pre-gyp did not install the downloaded binary"
grep -q "patch-addons: compiling node_modules/$pkg from its patched sources" "$work/npm-ci.log" \
  || die "the postinstall did not compile $pkg from its patched sources"
log "downloaded by node-pre-gyp: $(grep -c "GET /$path_in_url" "$work/server.log") time(s), then:"
grep '^patch-addons:' "$work/npm-ci.log" | sed 's/^/  /'
addon="$clone/node_modules/$pkg/build/Release/$module_name.node"
[ "$(sha256sum "$addon" | cut -d' ' -f1)" != "$standin_sum" ] || die "the addon that runs is still the downloaded one"
(cd "$clone" && npx tsc -p tsconfig.json)
# The observer's crash fix is in the addon that runs: the test that crashes an unpatched addon.
(cd "$clone" && node --test --test-concurrency=1 --test-force-exit --test-timeout=180000 --test-reporter=spec \
  --test-name-pattern='only just started' dist/test/integration/observer.test.js) | tee "$work/test.log" \
  || die "the observer test failed on the online install"
grep -q '^ℹ pass 1$' "$work/test.log" || die "the observer test 'named groups ... only just started' did not run"
log "passed: npm ci from a CRLF clone with the prebuilt reachable took $install_s s; the patched addon runs"
}
main "$@"
