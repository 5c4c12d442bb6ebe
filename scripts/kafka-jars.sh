#!/usr/bin/env bash
# Puts every jar an Apache Kafka broker needs into .cache/kafka-$KAFKA_VERSION/libs (once; cached).
# Prints that folder. Maven Central is the only source, so this works without a container registry.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=${KAFKA_VERSION:-4.3.1}
dest="$root/.cache/kafka-$version/libs"
if [ -f "$dest/.complete" ]; then echo "$dest"; exit 0; fi
mkdir -p "$dest"
mvn -q -B -f "$root/test/support/kafka/pom.xml" -Dkafka.version="$version" \
  dependency:copy-dependencies -DoutputDirectory="$dest" -DincludeScope=runtime >&2
touch "$dest/.complete"
echo "$dest"
