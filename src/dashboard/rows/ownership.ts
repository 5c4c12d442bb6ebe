/** Who owns which partition: the coordinator's timeline, partitions per member, and the split view of a paused replica. */
import { memberColourOverrides, target, type Section } from '../grafana';
import { OBS, memberSeries, ownershipTimeline } from '../presets';

export const ownershipRow: Section = {
  title: 'Ownership: how are the partitions distributed?',
  lines: [
    [
      ownershipTimeline(
        'Partition owner (coordinator): one row per partition',
        'Lab questions 1 and 2: each row is a partition (0 at the top), coloured and labelled by the member the group coordinator assigned it to; a colour change is a rebalance, red "no owner" is a partition nobody has. Every client shows, not only our replicas. A member has the same colour on every panel, decided by its name: lab-consumer-1 to -16 have 16 different colours; other names (alice, rdkafka, ...) take one of the light colours by their first letter.',
        `max by (partition, member) (lab_group_partition_owner{${OBS}})`,
        'member',
        'no owner',
      ),
      {
        type: 'bargauge',
        title: 'Partitions per member (coordinator, now)',
        description: 'Lab: "how are partitions redistributed?": how many partitions the coordinator assigned each member right now. A member at 0 is idle.',
        w: 8,
        h: 11,
        targets: [target('A', `max by (member) (lab_group_member_assigned_partitions{${OBS}})`, '{{member}}', { instant: true })],
        fieldConfig: { defaults: { unit: 'none', decimals: 0, min: 0, color: { mode: 'fixed', fixedColor: 'text' } }, overrides: memberColourOverrides() },
        options: { orientation: 'horizontal', displayMode: 'basic', valueMode: 'color', showUnfilled: true, namePlacement: 'auto', sizing: 'auto', minVizHeight: 16, minVizWidth: 8, maxVizHeight: 300, reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, legend: { showLegend: false, displayMode: 'list', placement: 'bottom', calcs: [] } },
      },
    ],
    [
      memberSeries(
        'Partitions per member over time (coordinator)',
        'The share of each member as a history: it drops when a member joins and grows when one leaves.',
        [target('A', `max by (member) (lab_group_member_assigned_partitions{${OBS}})`, '{{member}}', { interval: '2s' })],
        { lineInterpolation: 'stepAfter', lineWidth: 2 },
        { decimals: 0 },
      ),
      ownershipTimeline(
        'Split view: a replica still working on a partition the coordinator gave to another member',
        'The zombie after `docker pause`: a paused or hung replica cannot be asked, so it is shown with what it believed at its last answer, and the coordinator gives its partitions to others once its session times out. Each row is a partition, labelled with our replica that believes it owns it while the coordinator lists another owner (hover for both). It ends when the replica is fenced (after `docker unpause` it learns it was removed, drops the partitions and rejoins). Our replicas only: other clients do not report what they believe. Empty ("No split") is the healthy state.',
        'max by (partition, consumer, member) (lab:partition_split_view{group="$group"})',
        'consumer',
        'agrees',
        'transparent',
        'No split: every replica agrees with the coordinator',
      ),
    ].map((p) => ({ ...p, w: 12, h: 9 })),
  ],
};
