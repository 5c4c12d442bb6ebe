#!/usr/bin/env bash
# Runs a Kafka main class with every jar of /opt/kafka/libs on the class path, as the scripts of
# the Kafka distribution do. KAFKA_HEAP_OPTS, KAFKA_OPTS and KAFKA_LOG4J_OPTS are honoured.
set -euo pipefail
main=$1; shift
: "${KAFKA_LOG4J_OPTS:=-Dlog4j2.configurationFile=/opt/kafka/config/tools-log4j2.properties}"
# shellcheck disable=SC2086  # the *_OPTS variables are word lists by convention
exec java ${KAFKA_HEAP_OPTS:--Xmx256M} -XX:+UseG1GC -Djava.awt.headless=true \
  $KAFKA_LOG4J_OPTS ${KAFKA_OPTS:-} -cp '/opt/kafka/libs/*' "$main" "$@"
