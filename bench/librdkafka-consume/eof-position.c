/* rd_kafka_consume_batch_queue against rd_kafka_consumer_poll: the consumer position and the committed
 * offset after a partition EOF (librdkafka 2.12.0, bundled with node-rdkafka 3.6.1; librdkafka #4844).
 * Usage: eof-position BROKERS TOPIC poll|batch (partition 0 of TOPIC, read from the beginning; then
 * a pause and resume, one more message produced with kcat, and what is read of it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <librdkafka/rdkafka.h>
int main(int argc, char **argv) {
  char err[512], gid[64];
  const char *brokers = argv[1], *topic = argv[2]; int batch = !strcmp(argv[3], "batch");
  rd_kafka_conf_t *c = rd_kafka_conf_new();
  snprintf(gid, sizeof gid, "repro-%s-%d", argv[3], rand());
  rd_kafka_conf_set(c, "bootstrap.servers", brokers, err, sizeof err);
  rd_kafka_conf_set(c, "group.id", gid, err, sizeof err);
  rd_kafka_conf_set(c, "auto.offset.reset", "earliest", err, sizeof err);
  rd_kafka_conf_set(c, "enable.partition.eof", "true", err, sizeof err);
  rd_kafka_conf_set(c, "enable.auto.commit", "false", err, sizeof err);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(rk, l);
  rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(rk);
  int64_t last = -1; int eof = 0;
  for (int i = 0; i < 200 && !eof; i++) {
    rd_kafka_message_t *m[100]; ssize_t n;
    if (batch) n = rd_kafka_consume_batch_queue(q, 100, m, 100);
    else { m[0] = rd_kafka_consumer_poll(rk, 100); n = m[0] ? 1 : 0; }
    for (ssize_t j = 0; j < n; j++) {
      if (!m[j]->err) last = m[j]->offset;
      else if (m[j]->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) printf("err %s\n", rd_kafka_message_errstr(m[j])); else if (1) { eof = 1; printf("EOF at %lld\n", (long long)m[j]->offset); }
      rd_kafka_message_destroy(m[j]);
    }
  }
  rd_kafka_position(rk, l);
  printf("%s: last message offset %lld, position %lld (expected %lld)\n", argv[3], (long long)last,
         (long long)l->elems[0].offset, (long long)last + 1);
  /* enable.auto.offset.store is left at its default (true): commit what librdkafka stored */
  rd_kafka_resp_err_t ce = rd_kafka_commit(rk, NULL, 0);
  rd_kafka_topic_partition_list_t *cl = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(cl, topic, 0);
  rd_kafka_committed(rk, cl, 10000);
  printf("%s: commit %s, committed offset %lld (end offset %lld)\n", argv[3], rd_kafka_err2name(ce), (long long)cl->elems[0].offset, (long long)last + 1);
  /* pause and resume, produce one message, read for 5 s */
  rd_kafka_pause_partitions(rk, l); rd_kafka_resume_partitions(rk, l);
  char cmd[512]; snprintf(cmd, sizeof cmd, "echo next | kcat -P -b %s -t %s -p 0", brokers, topic);
  if (system(cmd) != 0) printf("produce failed\n");
  int got = 0;
  for (int i = 0; i < 50; i++) {
    rd_kafka_message_t *m[100]; ssize_t n;
    if (batch) n = rd_kafka_consume_batch_queue(q, 100, m, 100);
    else { m[0] = rd_kafka_consumer_poll(rk, 100); n = m[0] ? 1 : 0; }
    for (ssize_t j = 0; j < n; j++) {
      if (!m[j]->err) { got++; printf("%s: after pause/resume got offset %lld\n", argv[3], (long long)m[j]->offset); }
      rd_kafka_message_destroy(m[j]);
    }
  }
  printf("%s: after pause/resume: %d new message(s) read\n", argv[3], got);
  rd_kafka_queue_destroy(q); rd_kafka_consumer_close(rk); rd_kafka_destroy(rk);
  return 0;
}
