import java.time.Duration;
import java.util.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.common.TopicPartition;

/**
 * What a participant's Java program amounts to: a KafkaConsumer with the settings a lab protocol
 * asks for. Prints one JSON line per event (settings, assignment, error) for test/clients/run.ts.
 */
public class LabClient {
  static void emit(String event, String field, String value) {
    System.out.println("{\"event\":\"" + event + "\",\"" + field + "\":" + value + "}");
    System.out.flush();
  }

  static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ") + "\"";
  }

  public static void main(String[] args) {
    Map<String, String> env = System.getenv();
    Properties p = new Properties();
    p.put("bootstrap.servers", env.get("CL_BOOTSTRAP"));
    p.put("key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
    p.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
    p.put("client.id", env.get("CL_CLIENT_ID"));
    List<String> shown = new ArrayList<>();
    p.put("group.id", env.get("CL_GROUP"));
    if ("consumer".equals(env.get("CL_PROTOCOL"))) {
      p.put("group.protocol", "consumer");
      shown.add("group.protocol=consumer");
    }
    String assignor = env.getOrDefault("CL_ASSIGNOR", "");
    Map<String, String> classes = Map.of(
        "range", "org.apache.kafka.clients.consumer.RangeAssignor",
        "roundrobin", "org.apache.kafka.clients.consumer.RoundRobinAssignor",
        "cooperative-sticky", "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
    if (!assignor.isEmpty()) {
      p.put("partition.assignment.strategy", classes.get(assignor));
      shown.add("partition.assignment.strategy=" + classes.get(assignor).replaceAll(".*\\.", ""));
    }
    String instance = env.getOrDefault("CL_INSTANCE_ID", "");
    if (!instance.isEmpty()) {
      p.put("group.instance.id", instance);
      shown.add("group.instance.id=<unique per participant>");
    }
    emit("settings", "settings", quote(shown.isEmpty() ? "(defaults)" : String.join(", ", shown)));
    Set<TopicPartition> owned = new TreeSet<>(Comparator.comparingInt(TopicPartition::partition));
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      Runtime.getRuntime().addShutdownHook(new Thread(c::wakeup));
      c.subscribe(List.of(env.get("CL_TOPIC")), new ConsumerRebalanceListener() {
        public void onPartitionsRevoked(Collection<TopicPartition> ps) { owned.removeAll(ps); report(); }
        public void onPartitionsAssigned(Collection<TopicPartition> ps) { owned.addAll(ps); report(); }
        public void onPartitionsLost(Collection<TopicPartition> ps) { owned.removeAll(ps); report(); }
        void report() {
          StringJoiner j = new StringJoiner(",", "[", "]");
          for (TopicPartition tp : owned) j.add(Integer.toString(tp.partition()));
          emit("assigned", "partitions", j.toString());
        }
      });
      while (true) {
        try {
          c.poll(Duration.ofMillis(500));
        } catch (org.apache.kafka.common.errors.WakeupException e) {
          return;
        } catch (Exception e) {
          // A participant's program would typically log and retry; the run wants to see the error.
          emit("error", "message", quote(e.getClass().getSimpleName() + ": " + e.getMessage()));
          try { Thread.sleep(1000); } catch (InterruptedException ie) { return; }
        }
      }
    } catch (Exception e) {
      emit("error", "message", quote(e.getClass().getSimpleName() + ": " + e.getMessage()));
      System.exit(1);
    }
  }
}
