import express, { type Express } from 'express';
import type { Registry } from 'prom-client';
import type { GroupView } from './group-view';
import type { KafkaClientState } from './kafka-client-supervisor';
import type { ObserverStatus } from './poller';
import type { LoggedEvent } from './group-events';

export interface ObserverSource {
  topic: string;
  status: ObserverStatus;
  groups(): GroupView[];
  /** A successful poll within the last few intervals. */
  ready(): boolean;
  /** The rebalance timeline, oldest first. */
  events?(q: { after?: number; group?: string }): LoggedEvent[];
  /** The process that talks to Kafka, when the observer runs it apart. */
  kafkaClient?: KafkaClientState;
}

/** The view as /groups serves it: owners by name, not nested member objects. */
export function groupsDocument(source: ObserverSource, now: number): unknown {
  const { status } = source;
  return {
    topic: source.topic,
    up: status.up,
    observedAt: status.lastSuccessAt === null ? null : new Date(status.lastSuccessAt).toISOString(),
    viewAgeSeconds: status.lastSuccessAt === null ? null : (now - status.lastSuccessAt) / 1000,
    // The groups below are the last good view, not the answer to the latest poll.
    stale: !status.up,
    lastError: status.lastError,
    ...(source.kafkaClient
      ? {
          kafkaClient: {
            pid: source.kafkaClient.pid,
            running: source.kafkaClient.running,
            restarts: source.kafkaClient.restarts,
            lastExit: source.kafkaClient.lastExit && { ...source.kafkaClient.lastExit, at: new Date(source.kafkaClient.lastExit.at).toISOString() },
          },
        }
      : {}),
    groups: source.groups().map((g) => ({
      group: g.group,
      state: g.state,
      protocol: g.protocol,
      assignor: g.assignor,
      coordinator: g.coordinator,
      totalLag: g.totalLag,
      maxLagSeconds: g.maxLagSeconds,
      members: g.members.map((m) => ({
        member: m.member,
        memberId: m.memberId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        instanceId: m.instanceId,
        partitions: m.partitions,
        ...(m.target === null ? {} : { targetPartitions: m.target }),
      })),
      partitions: g.partitions.map((p) => ({
        partition: p.partition,
        owner: p.owner?.member ?? null,
        ...(p.targetOwner === null ? {} : { movingTo: p.targetOwner }),
        committed: p.committed,
        end: p.end,
        lag: p.lag,
        lagSeconds: p.lagSeconds,
      })),
    })),
  };
}

/**
 * /healthz: the process answers. /readyz: Kafka answered recently. /groups: the coordinator's
 * view as JSON, for people, scripts and tests. /groups/events: the rebalance timeline (events with
 * seq > ?after=, of ?group= if given). /metrics: Prometheus text.
 */
export function observerHttpApp(source: ObserverSource, registry: Registry): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/readyz', (_req, res) => {
    const ok = source.ready();
    res.status(ok ? 200 : 503).json({ ok, lastError: source.status.lastError });
  });
  app.get('/groups', (_req, res) => {
    res.json(groupsDocument(source, Date.now()));
  });
  app.get('/groups/events', (req, res) => {
    const after = Number(req.query.after ?? 0);
    if (!Number.isSafeInteger(after) || after < 0) {
      res.status(400).json({ error: 'after must be an event seq (a whole number >= 0)' });
      return;
    }
    const group = typeof req.query.group === 'string' ? req.query.group : undefined;
    const iso = (ms: number | null | undefined) => (ms == null ? ms : new Date(ms).toISOString());
    res.json({
      events: (source.events?.({ after, group }) ?? []).map((e) => ({ ...e, at: iso(e.at), since: iso(e.since), ...(e.startedAt === undefined ? {} : { startedAt: iso(e.startedAt) }) })),
    });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return app;
}
