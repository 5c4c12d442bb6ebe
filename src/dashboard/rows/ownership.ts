/** Who owns which partition: Kafka's timeline, partitions per member, the member table, and the split view of a paused consumer. */
import { slotColourOverrides, slotValueMappings, target, type PanelSpec, type Section } from '../grafana';
import { OBS, coloured, colouredName, memberSeries, onEveryPartition, ownershipTimeline } from '../presets';

/**
 * Every member Kafka lists, one line each: what a participant checks first ("am I in, what do I
 * own, am I keeping up"). Four instant queries merged on the member name.
 */
const memberTable: PanelSpec = {
  type: 'table',
  title: "Members, Kafka's view (every client)",
  description:
    'Every member the group coordinator lists, whatever its client: its name (in its colour on every panel), client id and host as Kafka reports them, the partitions it owns, the lag of those partitions, and when the observer first saw it in the group. A member that shares its client id with another (two kcats, two Java consumers with the default consumer-<group>-1) is named client-id@host; the member that was there first keeps its plain name.',
  w: 12,
  h: 9,
  targets: [
    target('A', colouredName(`max by (group, member, client_id, client_host) (lab_group_member_info{${OBS}})`, 'client_id, client_host'), '', { instant: true, table: true }),
    target('B', `max by (member) (lab_group_member_assigned_partitions{${OBS}})`, '', { instant: true, table: true }),
    target('C', `sum by (member) (max by (group, partition, member) (lab_group_partition_owner{${OBS}}) * on (group, partition) group_left () max by (group, partition) (kafka_consumergroup_group_lag{${OBS}})) or 0 * max by (member) (lab_group_member_assigned_partitions{${OBS}})`, '', { instant: true, table: true }),
    target('D', `1000 * max by (member) (lab_group_member_joined_timestamp_seconds{${OBS}})`, '', { instant: true, table: true }),
  ],
  transformations: [
    // Without their Time column the four results merge on the member name alone, whenever each was evaluated.
    { id: 'organize', options: { excludeByName: { Time: true }, includeByName: {}, indexByName: {}, renameByName: {} } },
    { id: 'merge', options: {} },
    {
      id: 'organize',
      options: {
        excludeByName: { member: true, colour: true, 'Value #A': true },
        includeByName: {},
        indexByName: { shown: 0, client_id: 1, client_host: 2, 'Value #B': 3, 'Value #C': 4, 'Value #D': 5 },
        renameByName: { shown: 'member', client_id: 'client id', client_host: 'host', 'Value #B': 'partitions', 'Value #C': 'lag', 'Value #D': 'joined at' },
      },
    },
  ],
  fieldConfig: {
    defaults: { custom: { align: 'auto', cellOptions: { type: 'auto' } } },
    overrides: [
      { matcher: { id: 'byName', options: 'member' }, properties: [{ id: 'mappings', value: slotValueMappings('') }, { id: 'custom.cellOptions', value: { type: 'color-text' } }] },
      { matcher: { id: 'byName', options: 'partitions' }, properties: [{ id: 'decimals', value: 0 }] },
      { matcher: { id: 'byName', options: 'lag' }, properties: [{ id: 'decimals', value: 0 }] },
      { matcher: { id: 'byName', options: 'joined at' }, properties: [{ id: 'unit', value: 'dateTimeAsLocal' }] },
    ],
  },
  options: { showHeader: true, cellHeight: 'sm', sortBy: [{ displayName: 'member', desc: false }], footer: { show: false, reducer: ['sum'], countRows: false, fields: '' } },
};

export const ownershipRow: Section = {
  title: 'Ownership: how are the partitions distributed?',
  lines: [
    [
      ownershipTimeline(
        "Partition owner, Kafka's view (every client): one row per partition",
        'Lab questions 1 and 2: each row is a partition (0 at the top), coloured and labelled by the member the group coordinator assigned it to; a colour change is a rebalance, red "no owner" is a partition nobody has. Every client shows, not only our consumers. Each member keeps one colour on every panel for as long as it stays in the group, different from every other member\'s (up to 32 members): lab-consumer-N takes the N-th colour, everybody else a free one.',
        colouredName(`max by (group, partition, member) (lab_group_partition_owner{${OBS}})`, 'partition'),
        'shown',
        'no owner',
        undefined,
        undefined,
        slotValueMappings('no owner'),
      ),
      {
        type: 'bargauge',
        title: "Partitions per member now, Kafka's view (every client)",
        description: 'Lab: "how are partitions redistributed?": how many partitions the coordinator assigned each member right now. A member at 0 is idle.',
        w: 8,
        h: 11,
        targets: [target('A', coloured(`max by (group, member) (lab_group_member_assigned_partitions{${OBS}})`), '{{colour}}~{{member}}', { instant: true })],
        fieldConfig: { defaults: { unit: 'none', decimals: 0, min: 0, color: { mode: 'fixed', fixedColor: 'text' } }, overrides: slotColourOverrides() },
        options: { orientation: 'horizontal', displayMode: 'basic', valueMode: 'color', showUnfilled: true, namePlacement: 'auto', sizing: 'auto', minVizHeight: 16, minVizWidth: 8, maxVizHeight: 300, reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, legend: { showLegend: false, displayMode: 'list', placement: 'bottom', calcs: [] } },
      },
    ],
    [
      memberTable,
      memberSeries(
        "Partitions per member over time, Kafka's view (every client)",
        'The share of each member as a history: it drops when a member joins and grows when one leaves.',
        [target('A', coloured(`max by (group, member) (lab_group_member_assigned_partitions{${OBS}})`), '{{colour}}~{{member}}', { interval: '2s' })],
        { lineInterpolation: 'stepAfter', lineWidth: 2 },
        { decimals: 0 },
        { bySlot: true },
      ),
    ].map((p) => ({ ...p, w: 12, h: 9 })),
    [
      ownershipTimeline(
        "Split view: one of our consumers still working on a partition Kafka gave to another member",
        'The zombie after `docker pause`: a paused or hung replica cannot be asked, so it is shown with what it believed at its last answer, and the coordinator gives its partitions to others once its session times out. Each row is a partition, labelled with our replica that believes it owns it while the coordinator lists another owner (hover for both). It ends when the replica is fenced (after `docker unpause` it learns it was removed, drops the partitions and rejoins). Our replicas only: other clients do not report what they believe. A transparent "agrees" is the healthy state.',
        onEveryPartition('max by (partition, consumer, member) (lab:partition_split_view{group="$group"})'),
        'consumer',
        'agrees',
        'transparent',
        'No data: is the observer up?',
      ),
    ].map((p) => ({ ...p, w: 24, h: 8 })),
    [
      ownershipTimeline(
        'Moving partitions (KIP-848 groups): the member Kafka is handing each partition to',
        'Under the KIP-848 protocol (GROUP_PROTOCOL=consumer) the coordinator decides a target assignment and moves partitions one by one: a partition it has given to a new member stays with its old owner until that owner lets go (at its next heartbeat, after finishing what it is processing). Each row is a partition, labelled with the member it is moving to, for as long as the move lasts; a transparent "not moving" is the normal state. A paused or hung old owner holds the move until its session times out. A classic group never shows anything here: its members give up everything at once in a rebalance (see the split view and the rebalance panels).',
        onEveryPartition(colouredName(`max by (group, partition, member) (lab_group_partition_target_owner{${OBS}})`, 'partition')),
        'shown',
        'not moving',
        'transparent',
        'No data: is the observer up?',
        slotValueMappings('not moving', 'transparent'),
      ),
    ].map((p) => ({ ...p, w: 24, h: 8 })),
  ],
};
