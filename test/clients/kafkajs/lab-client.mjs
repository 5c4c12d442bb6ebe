// What a participant's KafkaJS program amounts to, with the settings a lab protocol asks for.
// Prints one JSON line per event (settings, assignment, error) for test/clients/run.ts.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Kafka, logLevel, AssignerProtocol } = require('kafkajs');
const { MemberMetadata, MemberAssignment } = AssignerProtocol;

const emit = (event, fields) => process.stdout.write(JSON.stringify({ event, ...fields }) + '\n');
const env = process.env;

/**
 * Java's and librdkafka's "range" assignor, which KafkaJS lacks: its own round robin registers as
 * "RoundRobinAssigner", a name no other client offers, so alone it cannot join their groups.
 */
const RangeAssigner = ({ cluster }) => ({
  name: 'range',
  version: 0,
  async assign({ members, topics }) {
    const ids = members.map((m) => m.memberId).sort();
    const plan = Object.fromEntries(ids.map((id) => [id, {}]));
    for (const topic of topics) {
      const partitions = cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId).sort((a, b) => a - b);
      const each = Math.floor(partitions.length / ids.length);
      const extra = partitions.length % ids.length;
      let next = 0;
      ids.forEach((id, i) => {
        const n = each + (i < extra ? 1 : 0);
        plan[id][topic] = partitions.slice(next, next + n);
        next += n;
      });
    }
    return ids.map((id) => ({ memberId: id, memberAssignment: MemberAssignment.encode({ version: 0, assignment: plan[id] }) }));
  },
  protocol({ topics }) {
    return { name: this.name, metadata: MemberMetadata.encode({ version: this.version, topics }) };
  },
});

// KafkaJS has no cooperative assignor, no static membership and no KIP-848; asking for them is
// answered here the way the library would leave a participant: with its default.
const assigners = env.CL_ASSIGNOR === 'range' ? [RangeAssigner] : undefined;
const unsupported = [];
if (env.CL_ASSIGNOR && env.CL_ASSIGNOR !== 'range') unsupported.push(`no ${env.CL_ASSIGNOR} assignor`);
if (env.CL_INSTANCE_ID) unsupported.push('no group.instance.id');
if (env.CL_PROTOCOL === 'consumer') unsupported.push('no group.protocol=consumer');
emit('settings', {
  settings: (assigners ? 'partitionAssigners: [a "range" assigner of your own]' : '(defaults: RoundRobinAssigner)') + (unsupported.length ? ` (KafkaJS has ${unsupported.join(', ')})` : ''),
});

const kafka = new Kafka({
  clientId: env.CL_CLIENT_ID,
  brokers: [env.CL_BOOTSTRAP],
  logLevel: logLevel.ERROR,
  logCreator: () => ({ log }) => emit('error', { message: log.message + (log.error ? `: ${log.error}` : '') }),
});
const consumer = kafka.consumer({ groupId: env.CL_GROUP, ...(assigners ? { partitionAssigners: assigners } : {}), retry: { retries: 2 } });
consumer.on(consumer.events.GROUP_JOIN, (e) => emit('assigned', { partitions: (e.payload.memberAssignment[env.CL_TOPIC] ?? []).slice().sort((a, b) => a - b) }));
consumer.on(consumer.events.CRASH, (e) => emit('error', { message: `crash: ${e.payload.error.message}` }));
process.once('SIGTERM', () => void consumer.disconnect().finally(() => process.exit(0)));
try {
  await consumer.connect();
  await consumer.subscribe({ topic: env.CL_TOPIC });
  await consumer.run({ eachMessage: async () => undefined });
} catch (err) {
  emit('error', { message: String(err.message ?? err) });
}
