// CPU per message of librdkafka's per-message poll against its batch call (issue 19, item 4).
//
//   consume-bench produce <brokers> <topic> <messages> [partitions=12] [bytes=96]
//   consume-bench poll|pollnode|batch <brokers> <topic> <messages> [prefill_ms=0]
//
// produce   creates the topic (if missing) and writes <messages> records of <bytes> bytes,
//           round-robin over the partitions.
// poll      C++ API: RdKafka::KafkaConsumer::consume(timeout) per message, delete each
//           (rd_kafka_consumer_poll + a new MessageImpl), as node-rdkafka's consume(n) worker does.
// pollnode  poll plus what node-rdkafka's KafkaConsumer::Consume/ConsumeNum add per message on the
//           worker thread: a read lock on a rwlock (uv_rwlock_rdlock, i.e. pthread_rwlock_rdlock
//           on Linux), a dynamic_cast of the
//           client and a push into a std::vector (messages are deleted once per 2000, not at once).
// batch     rd_kafka_consume_batch_queue(rd_kafka_queue_get_consumer(c_ptr()), ...), up to 2000
//           per call, rd_kafka_message_destroy each.
//
// Every consuming mode joins a fresh group (unique group.id), reads from the earliest offset with
// enable.auto.commit=false, enable.partition.eof=true, queued.max.messages.kbytes=65536,
// fetch.queue.backoff.ms=10 and librdkafka's defaults otherwise, until it has seen <messages>
// messages (partition EOF events are counted apart). It sums the first payload byte of each.
// Timed from the first message to the last: wall time, the consuming thread's CPU
// (CLOCK_THREAD_CPUTIME_ID) and the process's CPU (getrusage, all threads).
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>
#include <pthread.h>

#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <vector>
#include <sys/resource.h>
#include <unistd.h>

static double now(clockid_t c) {
  timespec ts;
  clock_gettime(c, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double proc_cpu() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void die(const std::string &m) {
  fprintf(stderr, "consume-bench: %s\n", m.c_str());
  exit(1);
}

// Voluntary and involuntary context switches of the calling thread: how often the consuming
// thread slept waiting for the fetcher (voluntary), or was pushed off a core (involuntary).
static void thread_csw(long *vol, long *invol) {
  rusage ru;
  getrusage(RUSAGE_THREAD, &ru);
  *vol = ru.ru_nvcsw;
  *invol = ru.ru_nivcsw;
}

struct Mark {
  double wall, thread, proc;
  long vcsw, ivcsw;
  static Mark take() {
    Mark m{now(CLOCK_MONOTONIC), now(CLOCK_THREAD_CPUTIME_ID), proc_cpu(), 0, 0};
    thread_csw(&m.vcsw, &m.ivcsw);
    return m;
  }
};

static int produce(const char *brokers, const char *topic, long n, int parts, int bytes) {
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof err) ||
      rd_kafka_conf_set(conf, "linger.ms", "20", err, sizeof err) ||
      rd_kafka_conf_set(conf, "batch.size", "1000000", err, sizeof err))
    die(err);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) die(err);

  // Create the topic; "already exists" is fine.
  rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, parts, 1, err, sizeof err);
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
  rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
  if (!ev) die("CreateTopics timed out");
  const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
  size_t cnt;
  const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(res, &cnt);
  if (rd_kafka_event_error(ev)) die(rd_kafka_event_error_string(ev));
  for (size_t i = 0; i < cnt; i++) {
    rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);
    fprintf(stderr, "create %s: %s\n", rd_kafka_topic_result_name(tr[i]), e ? rd_kafka_err2str(e) : "created");
    if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) return 1;
  }
  rd_kafka_event_destroy(ev);
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_queue_destroy(q);
  sleep(2);  // let metadata catch up with the new topic

  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  std::vector<char> buf(bytes, 'x');
  for (long i = 0; i < n; i++) {
    snprintf(buf.data(), buf.size(), "{\"seq\":%ld,\"pad\":\"", i);
    buf[bytes - 1] = '}';
    while (rd_kafka_produce(rkt, (int32_t)(i % parts), RD_KAFKA_MSG_F_COPY, buf.data(), buf.size(), NULL, 0, NULL) == -1) {
      if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) die(rd_kafka_err2str(rd_kafka_last_error()));
      rd_kafka_poll(rk, 10);
    }
    if (i % 10000 == 0) rd_kafka_poll(rk, 0);
  }
  if (rd_kafka_flush(rk, 60000)) die("flush timed out");
  fprintf(stderr, "produced %ld messages of %d bytes to %s (%d partitions)\n", n, bytes, topic, parts);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return 0;
}

static int consume(const std::string &mode, const char *brokers, const char *topic, long n, long prefill_ms) {
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  char group[128];
  snprintf(group, sizeof group, "rdk-consume-bench-%s-%ld-%d", mode.c_str(), (long)time(NULL), (int)getpid());
  const char *kv[][2] = {
      {"bootstrap.servers", brokers},
      {"group.id", group},
      {"auto.offset.reset", "earliest"},
      {"enable.auto.commit", "false"},
      {"enable.partition.eof", "true"},
      {"queued.max.messages.kbytes", "65536"},
      {"fetch.queue.backoff.ms", "10"},
  };
  for (auto &p : kv)
    if (conf->set(p[0], p[1], err) != RdKafka::Conf::CONF_OK) die(err);
  std::unique_ptr<RdKafka::KafkaConsumer> c(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!c) die(err);
  if (RdKafka::ErrorCode e = c->subscribe({topic})) die(RdKafka::err2str(e));

  // prefill_ms > 0: after the first message, let the fetcher fill the local queue for that long
  // before the clock starts, so that the timed part reads mostly from memory, not racing fetches.
  auto start_clock = [&]() {
    if (prefill_ms > 0) usleep(prefill_ms * 1000);
    return Mark::take();
  };
  long seen = 0, eofs = 0, timeouts = 0, calls = 0;
  unsigned long sum = 0;
  Mark first{}, last{};
  const int timeout_ms = 100;
  // Gives up after 60 s without a message; checked only on empty polls, so it costs nothing per message.
  double progress = now(CLOCK_MONOTONIC);
  long seen_at_progress = 0;
  auto idle_check = [&]() {
    if (seen != seen_at_progress) {
      seen_at_progress = seen;
      progress = now(CLOCK_MONOTONIC);
    } else if (now(CLOCK_MONOTONIC) - progress > 60) {
      die("no messages for 60 s");
    }
  };

  if (mode == "poll" || mode == "pollnode") {
    const bool node = mode == "pollnode";
    pthread_rwlock_t lock;
    pthread_rwlock_init(&lock, NULL);
    RdKafka::Handle *client = c.get();
    std::vector<RdKafka::Message *> held;
    held.reserve(2000);
    while (seen < n) {
      RdKafka::Message *m;
      if (node) {
        pthread_rwlock_rdlock(&lock);
        m = dynamic_cast<RdKafka::KafkaConsumer *>(client)->consume(timeout_ms);
        pthread_rwlock_unlock(&lock);
      } else {
        m = c->consume(timeout_ms);
      }
      calls++;
      switch (m->err()) {
        case RdKafka::ERR_NO_ERROR:
          if (seen == 0) first = start_clock();
          sum += m->len() ? static_cast<const unsigned char *>(m->payload())[0] : 0;
          if (++seen == n) last = Mark::take();
          break;
        case RdKafka::ERR__PARTITION_EOF: eofs++; break;
        case RdKafka::ERR__TIMED_OUT:
        case RdKafka::ERR__TIMED_OUT_QUEUE:
          timeouts++;
          idle_check();
          break;
        default: fprintf(stderr, "consume error: %s\n", m->errstr().c_str()); break;
      }
      if (node) {
        held.push_back(m);
        if (held.size() == 2000 || seen == n) {
          for (auto *h : held) delete h;
          held.clear();
        }
      } else {
        delete m;
      }
    }
    for (auto *h : held) delete h;
    pthread_rwlock_destroy(&lock);
  } else if (mode == "batch") {
    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(c->c_ptr());
    std::vector<rd_kafka_message_t *> msgs(2000);
    while (seen < n) {
      // Never ask for more than are still to come: the batch call waits out its timeout for a
      // full batch, which would otherwise pad the last batch's wall time.
      size_t want = (size_t)std::min<long>(2000, n - seen);
      ssize_t got = rd_kafka_consume_batch_queue(q, timeout_ms, msgs.data(), want);
      calls++;
      if (got < 0) die(rd_kafka_err2str(rd_kafka_last_error()));
      if (got == 0) {
        timeouts++;
        idle_check();
      }
      for (ssize_t i = 0; i < got; i++) {
        rd_kafka_message_t *m = msgs[i];
        if (!m->err) {
          if (seen == 0) first = start_clock();
          sum += m->len ? static_cast<const unsigned char *>(m->payload)[0] : 0;
          if (++seen == n) last = Mark::take();
        } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
          eofs++;
        } else {
          fprintf(stderr, "consume error: %s\n", rd_kafka_message_errstr(m));
        }
        rd_kafka_message_destroy(m);
      }
    }
    rd_kafka_queue_destroy(q);
  } else {
    die("unknown mode " + mode);
  }

  double wall = last.wall - first.wall;
  double per_m = 1e6 / (double)(n > 1 ? n - 1 : 1);  // the first message is timed from its end
  printf("mode=%s prefill_ms=%ld messages=%ld wall_s=%.3f msg_per_s=%.0f thread_cpu_s_per_M=%.4f process_cpu_s_per_M=%.4f "
         "thread_vol_csw=%ld thread_invol_csw=%ld calls=%ld eofs=%ld empty_calls=%ld checksum=%lu group=%s\n",
         mode.c_str(), prefill_ms, seen, wall, (n - 1) / wall, (last.thread - first.thread) * per_m,
         (last.proc - first.proc) * per_m, last.vcsw - first.vcsw, last.ivcsw - first.ivcsw, calls, eofs, timeouts, sum, group);
  fflush(stdout);
  c->close();
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && std::string(argv[1]) == "version") {
    printf("%s\n", rd_kafka_version_str());
    return 0;
  }
  if (argc < 5) {
    fprintf(stderr, "usage: %s produce <brokers> <topic> <messages> [partitions=12] [bytes=96]\n"
                    "       %s poll|pollnode|batch <brokers> <topic> <messages> [prefill_ms=0]\n", argv[0], argv[0]);
    return 2;
  }
  std::string mode = argv[1];
  long n = atol(argv[4]);
  if (mode == "produce") return produce(argv[2], argv[3], n, argc > 5 ? atoi(argv[5]) : 12, argc > 6 ? atoi(argv[6]) : 96);
  return consume(mode, argv[2], argv[3], n, argc > 5 ? atol(argv[5]) : 0);
}
