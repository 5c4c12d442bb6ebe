/** The headline numbers: members, group state, partitions without owner, idle members, lag, view freshness. */
import { target, type Section, type PanelSpec } from '../grafana';
import { OBS, stat, thresholds } from '../presets';

export const summaryRow: Section = {
  title: 'Summary: the group as Kafka sees it (coordinator), and our replicas',
  lines: [
    [
      stat(
        'Members in the group',
        'Lab questions 1 and 2 (a program joins, a program leaves). "members": what the group coordinator lists, any client on any machine (kcat, a Java consumer, a colleague\'s laptop). "our replicas ready": replicas of this lab\'s consumer that are connected and joined. A killed member stays listed until its session times out.',
        [target('A', `max(lab_group_members{${OBS}}) or vector(0)`, 'members', { instant: true }), target('B', 'sum(lab_consumer_ready) or vector(0)', 'our replicas ready', { instant: true })],
        { color: { mode: 'thresholds' }, thresholds: thresholds(['orange', null], ['green', 1]) },
      ),
      stat(
        'Group state',
        'The coordinator\'s state of the group ("Stable" when every member has its partitions; "PreparingRebalance"/"CompletingRebalance" (classic) or "Reconciling"/"Assigning" (KIP-848) while partitions move), the protocol and the assignor.',
        [target('A', `lab_group_info{${OBS}}`, '{{state}} · {{protocol}} · {{assignor}}', { instant: true })],
        { color: { mode: 'fixed', fixedColor: 'text' } },
        { options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'none', graphMode: 'none', justifyMode: 'auto', orientation: 'auto', textMode: 'name', wideLayout: true, showPercentChange: false } },
      ),
      stat(
        'Partitions without owner',
        'Partitions of the topic that the coordinator assigns to nobody: their messages wait. Red above 0. After a kill this stays 0 until the session timeout (the dead member still owns them), then rises briefly while the others take over.',
        [target('A', `count(lab_group_partition_owned{${OBS}} == 0) or vector(0)`, 'without owner', { instant: true }), target('B', `count(lab_group_partition_owned{${OBS}}) or vector(0)`, 'partitions', { instant: true })],
        { color: { mode: 'thresholds' }, thresholds: thresholds(['green', null], ['red', 1]) },
        { fieldConfig: { defaults: { unit: 'none', decimals: 0, mappings: [], color: { mode: 'thresholds' }, thresholds: thresholds(['green', null], ['red', 1]) }, overrides: [{ matcher: { id: 'byName', options: 'partitions' }, properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: 'text' } }] }] } } as Partial<PanelSpec>,
      ),
      stat(
        'Idle members',
        'Lab: more consumers than partitions. "members": members the coordinator assigned no partition to (they joined and stand by). "our replicas": our replicas that are ready (joined) and own nothing; a replica still starting is not idle, it is not in the group yet.',
        [
          target('A', `count(lab_group_member_assigned_partitions{${OBS}} == 0) or vector(0)`, 'members', { instant: true }),
          target('B', 'lab:consumers_idle:count', 'our replicas', { instant: true }),
        ],
        { color: { mode: 'fixed', fixedColor: 'blue' } },
      ),
      stat(
        'Total lag',
        'Messages written to the topic and not yet committed by the group, summed over every partition, owned or not (from the coordinator\'s committed offsets).',
        [target('A', `sum(kafka_consumergroup_group_lag{${OBS}}) or vector(0)`, 'lag', { instant: true })],
        { color: { mode: 'thresholds' }, thresholds: thresholds(['green', null], ['orange', 1000]) },
        { options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'area', justifyMode: 'auto', orientation: 'auto', textMode: 'value', wideLayout: true, showPercentChange: false } },
      ),
      stat(
        'View freshness',
        'How old the coordinator\'s view is: seconds since the group observer last reached the broker, and alerts firing. A stale view (observer cannot reach Kafka) turns orange: the panels above then show the last known state.',
        [
          target('A', 'max(time() - lab_observer_last_success_timestamp_seconds)', 'coordinator view age', { instant: true }),
          target('B', 'count(ALERTS{alertstate="firing"}) or vector(0)', 'alerts firing', { instant: true }),
        ],
        { color: { mode: 'thresholds' }, thresholds: thresholds(['green', null], ['orange', 5]) },
        { fieldConfig: { defaults: { unit: 'none', decimals: 0, mappings: [], color: { mode: 'thresholds' }, thresholds: thresholds(['green', null], ['orange', 5]) }, overrides: [{ matcher: { id: 'byName', options: 'coordinator view age' }, properties: [{ id: 'unit', value: 's' }, { id: 'decimals', value: 1 }] }, { matcher: { id: 'byName', options: 'alerts firing' }, properties: [{ id: 'thresholds', value: thresholds(['green', null], ['red', 1]) }] }] } } as Partial<PanelSpec>,
      ),
    ],
  ],
};
