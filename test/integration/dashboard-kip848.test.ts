import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConsumerProcess } from '../support/consumer-process';
import { allPanels, concreteExpr, loadDashboard } from '../support/dashboard-queries';
import { display, tableFrame, transform, type PromSeries } from '../support/grafana-data';
import { waitForOwnership } from '../support/group';
import { startLocalPrometheus, type LocalPrometheus } from '../support/local-prometheus';
import { createTopic, uniqueName } from '../support/kafka';
import { waitFor } from '../support/wait';
import { memberColour } from '../../src/dashboard/member-colours';

const PARTITIONS = 6;
const ALL = Array.from({ length: PARTITIONS }, (_, i) => i);
const SCRAPE_S = 1;

interface Partition {
  partition: number;
  owner: string | null;
  movingTo?: string;
}

/**
 * The "Moving partitions (KIP-848 groups)" panel against a live Prometheus scraping the observer,
 * through Grafana's own transformations and value mappings. Under KIP-848 a partition the
 * coordinator gives to a new member stays with its old owner until that owner lets go; a frozen
 * old owner (docker pause) holds the move for a whole session, which is what the panel must show:
 * those partitions, labelled with the member they are moving to, in that member's colour, and
 * nothing once the group has settled.
 */
test('Moving partitions (KIP-848): while the old owner is frozen, the partitions Kafka gave the new member show its name in its colour; nothing once settled', { timeout: 150_000 }, async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-moving-'));
  const running: ConsumerProcess[] = [];
  let prometheus: LocalPrometheus | null = null;
  let frozen: ConsumerProcess | null = null;
  t.after(async () => {
    frozen?.signal('SIGCONT');
    await Promise.all(running.map((p) => p.kill()));
    await prometheus?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const topic = uniqueName('moving');
  const group = uniqueName('g');
  await createTopic(topic, PARTITIONS);
  const observer = await ConsumerProcess.start('observer', { KAFKA_TOPIC: topic, OBSERVER_GROUPS: group, OBSERVER_INTERVAL_MS: '250', LOG_LEVEL: 'info' }, 'observer');
  running.push(observer);
  const view = async (): Promise<Partition[]> => {
    const doc = (await (await fetch(`http://127.0.0.1:${observer.port}/groups`)).json()) as { groups: { group: string; partitions: Partition[] }[] };
    return doc.groups.find((g) => g.group === group)?.partitions ?? [];
  };

  prometheus = await startLocalPrometheus(
    tmp,
    `global: {scrape_interval: ${SCRAPE_S}s, scrape_timeout: ${SCRAPE_S}s, evaluation_interval: ${SCRAPE_S}s}\n` +
      `scrape_configs:\n  - job_name: observer\n    static_configs: [{targets: ['127.0.0.1:${observer.port}']}]\n`,
  );
  const { get: prom, query } = prometheus;
  const from = Date.now() / 1000;

  const panel = allPanels(loadDashboard()).find((p) => p.title.startsWith('Moving partitions (KIP-848 groups)'));
  assert.ok(panel, 'the dashboard has the KIP-848 moves panel');
  const expr = concreteExpr(panel.targets![0].expr!, undefined, { group });
  /** What the panel's query answers now: partition -> the member shown ("NN~name"). */
  // (Every other partition comes back without a `shown` label: the panel's empty cells.)
  const shownNow = async () => new Map((await query(expr)).filter((s) => s.metric.shown !== undefined).map((s) => [Number(s.metric.partition), s.metric.shown]));

  const env = { KAFKA_TOPIC: topic, KAFKA_GROUP_ID: group, GROUP_PROTOCOL: 'consumer', PROCESSING_MS: '0', LOG_LEVEL: 'info' };
  const first = await ConsumerProcess.start('lab-consumer-1', env);
  running.push(first);
  await waitForOwnership([first], PARTITIONS);
  // Settled: nothing is moving, and the panel says so.
  await waitFor(async () => (await view()).length === PARTITIONS && (await view()).every((p) => p.owner === 'lab-consumer-1' && p.movingTo === undefined), { timeoutMs: 20_000, what: 'the observer to show lab-consumer-1 owning everything, nothing moving' });
  await waitFor(async () => (await query('count_over_time(up{job="observer"}[1m]) >= 3')).length === 1, { timeoutMs: 30_000, what: 'Prometheus to scrape the observer' });
  assert.deepEqual(await shownNow(), new Map(), 'nothing moving while one member owns everything');

  // Freeze the owner, then a second member joins: the coordinator's target gives it half, which
  // the frozen owner cannot let go of until its session expires.
  first.signal('SIGSTOP');
  frozen = first;
  const frozenAt = Date.now();
  const second = await ConsumerProcess.start('lab-consumer-2', env);
  running.push(second);
  let moving: Partition[] = [];
  await waitFor(async () => {
    moving = (await view()).filter((p) => p.movingTo !== undefined);
    return moving.length > 0;
  }, { timeoutMs: 15_000, intervalMs: 100, what: 'the observer to show partitions moving to lab-consumer-2' });
  t.diagnostic(`moving ${Date.now() - frozenAt} ms after the freeze: ${JSON.stringify(moving)}`);
  assert.ok(moving.every((p) => p.owner === 'lab-consumer-1' && p.movingTo === 'lab-consumer-2'), `held by the frozen owner, going to the new member: ${JSON.stringify(moving)}`);
  assert.ok(moving.length >= PARTITIONS / 2 - 1 && moving.length <= PARTITIONS / 2 + 1, `about half the partitions move (${moving.length})`);
  // The panel shows the same partitions going to the same member (scraped within a second or two).
  let shown = new Map<number, string>();
  await waitFor(async () => {
    shown = await shownNow();
    return shown.size === moving.length;
  }, { timeoutMs: 5_000, intervalMs: 200, what: `the panel to show the ${moving.length} moving partitions` });
  assert.deepEqual([...shown.keys()].sort(), moving.map((p) => p.partition).sort());
  for (const s of shown.values()) assert.equal(display(panel.fieldConfig!.defaults as never, s).text, 'lab-consumer-2');

  // The frozen member's session ends; then it thaws, rejoins and the group settles on two members.
  await waitFor(async () => (await view()).every((p) => p.owner === 'lab-consumer-2'), { timeoutMs: 30_000, what: 'lab-consumer-2 to own everything once the frozen session expired' });
  first.signal('SIGCONT');
  frozen = null;
  await waitForOwnership([first, second], PARTITIONS, { timeoutMs: 45_000 });
  await waitFor(async () => (await view()).every((p) => p.owner !== null && p.movingTo === undefined), { timeoutMs: 20_000, what: 'the observer to show nothing moving' });
  const settledAt = Date.now() / 1000;
  await waitFor(async () => Number((await query('timestamp(up{job="observer"})'))[0]?.value[1]) > settledAt + SCRAPE_S, { timeoutMs: 10_000, intervalMs: 250, what: 'a scrape after the group settled' });

  // The whole run as Grafana draws it: one row per partition in numeric order; each moving cell the
  // new owner's name in its colour, every other cell empty ("not moving", transparent).
  const end = Math.floor(Date.now() / 1000);
  const ranged = await prom<{ result: PromSeries[] }>(`/api/v1/query_range?${new URLSearchParams({ query: expr, start: String(Math.floor(from)), end: String(end), step: String(SCRAPE_S) })}`);
  const [frame] = await transform(panel.transformations as never, [tableFrame(ranged.result)]);
  const rows = frame.fields.slice(1);
  assert.deepEqual(rows.map((f) => f.name), ALL.map(String), 'one row per partition, in numeric order');
  const cells = new Map<string, number>();
  for (const field of rows) {
    for (const v of field.values as string[]) {
      const d = display(panel.fieldConfig!.defaults as never, v);
      if (v === '') {
        assert.deepEqual(d, { text: 'not moving', color: 'rgba(0,0,0,0)' });
        continue;
      }
      assert.ok(ALL.includes(Number(field.name)));
      assert.ok(['lab-consumer-1', 'lab-consumer-2'].includes(d.text), `a cell names a member of the group: ${v}`);
      assert.equal(d.color, memberColour(d.text), `${d.text} in its own colour`);
      cells.set(d.text, (cells.get(d.text) ?? 0) + 1);
    }
  }
  // The frozen owner held the move for most of its 6 s session: several scrapes of it.
  assert.ok((cells.get('lab-consumer-2') ?? 0) >= moving.length * 2, `cells showing lab-consumer-2: ${cells.get('lab-consumer-2')}`);
  // Settled: the last step of every row is empty. Grafana's state timeline draws a row's last
  // value on to the right edge of the panel, so a move shown there would look current.
  for (const field of rows) assert.equal((field.values as string[]).at(-1), '', `partition ${field.name} still shown moving at the end`);
  assert.deepEqual(await shownNow(), new Map(), 'nothing moving once settled');
});
