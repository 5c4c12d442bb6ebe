import express, { type Express } from 'express';
import type { Registry } from 'prom-client';

export interface ProbeSource {
  alive(): boolean;
  ready(): boolean;
  status(): unknown;
}

/**
 * /healthz: the process is alive (a stuck or stopped consumer is not, nor one librdkafka left with
 * no broker for good: see StrandedWatch).
 * /readyz: connected and a member of the group; 503 while the broker is unreachable.
 * /status: what this replica owns and how far it got, as JSON for people and tests.
 * /metrics: Prometheus text.
 */
export function consumerHttpApp(source: ProbeSource, registry: Registry): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    const ok = source.alive();
    res.status(ok ? 200 : 503).json({ ok });
  });
  app.get('/readyz', (_req, res) => {
    const ok = source.ready();
    res.status(ok ? 200 : 503).json({ ok });
  });
  app.get('/status', (_req, res) => {
    res.json(source.status());
  });
  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return app;
}
