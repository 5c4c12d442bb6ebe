import { AdminClient, ConsumerGroupTypes, type GroupDescription } from '@confluentinc/kafka-javascript';
import { securitySettings, type KafkaSecurity } from '../shared/kafka-security';
import type { GroupFacts } from './checks';

// GROUP_ID_NOT_FOUND: a KIP-848 describe of a group that does not exist (yet).
const GROUP_ID_NOT_FOUND = 69;

/**
 * The group as its coordinator describes it, through the observer's admin client (node-rdkafka has
 * no describe): librdkafka sends ConsumerGroupDescribe and falls back to DescribeGroups for a
 * classic group. null when the group does not exist.
 */
export async function describeGroup(bootstrap: string, group: string, security: KafkaSecurity, timeoutMs: number): Promise<GroupFacts | null> {
  const admin = AdminClient.create({ 'bootstrap.servers': bootstrap, 'client.id': 'lab-join-check', log_level: 0, ...securitySettings(security) });
  try {
    const result = await new Promise<{ groups: GroupDescription[] }>((resolve, reject) =>
      admin.describeGroups([group], { timeout: timeoutMs }, (err, r) => (err ? reject(err) : resolve(r))),
    );
    const g = result.groups[0];
    if (!g || (g.error && (g.error as { code?: number }).code === GROUP_ID_NOT_FOUND)) return null;
    if (g.error) throw g.error;
    return {
      protocol: g.type === ConsumerGroupTypes.CONSUMER ? 'consumer' : g.type === ConsumerGroupTypes.CLASSIC ? 'classic' : 'unknown',
      protocolType: g.type === ConsumerGroupTypes.CLASSIC ? g.protocolType : '',
      assignor: g.partitionAssignor || g.protocol || '',
      state: String(g.state),
      members: g.members.length,
    };
  } finally {
    admin.disconnect();
  }
}
