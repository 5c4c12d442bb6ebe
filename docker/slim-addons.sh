#!/bin/sh
# Image build stage: of each named binding's ~500 MB build tree keep only what runs, the addon and
# the shared librdkafka it loads (RPATH $ORIGIN/../deps), stripped of debug symbols. The librdkafka
# sources, objects and static archives go. A binding linked statically (CKJS_LINKING=static, or a
# prebuilt binary) has no shared library to keep.
# Usage: slim-addons.sh PACKAGE:ADDON_NAME ...   (run in /app)
set -eu
for spec in "$@"; do
  dir=node_modules/${spec%%:*}; addon=${spec##*:}
  rm -rf /tmp/keep; mkdir -p /tmp/keep/Release
  cp "$dir/build/Release/$addon.node" /tmp/keep/Release/
  for so in librdkafka.so.1 librdkafka++.so.1; do
    if [ -e "$dir/build/deps/$so" ]; then mkdir -p /tmp/keep/deps; cp -L "$dir/build/deps/$so" /tmp/keep/deps/; fi
  done
  strip --strip-unneeded /tmp/keep/Release/*.node
  if [ -d /tmp/keep/deps ]; then strip --strip-unneeded /tmp/keep/deps/*; fi
  rm -rf "$dir/build" "$dir/deps" "$dir/src" "$dir/bench" "$dir/e2e" "$dir/test" "$dir/examples" "$dir/ci" "$dir"/util/test-* \
         "$dir/cpplint.py" "$dir/configure" "$dir/Makefile" "$dir/binding.gyp" "$dir/make_docs.sh" "$dir/run_docker.sh" \
         "$dir/win_install.ps1" "$dir/deploy.enc" "$dir/docker-compose.yml"
  mv /tmp/keep "$dir/build"
done
