import express, { type Express } from 'express';
import type { Registry } from 'prom-client';
import { ConflictError, parsePartitions, parseRate } from './config';

export interface LoadgenControl {
  ready(): boolean;
  rate(): number;
  setRate(rate: number): void;
  maxRate(): number;
  partitions(): number;
  addPartitions(total: number): Promise<void>;
  produced(): number;
}

/**
 * The instructor's controls: `curl -X PUT localhost:8080/rate -d 500` and
 * `curl -X PUT localhost:8080/partitions -d 16`; GET returns the current value. The rate is
 * bounded by MAX_RATE and partitions only grow: a shared room cannot be flooded by a typo.
 */
export function loadgenHttpApp(control: LoadgenControl, registry: Registry): Express {
  const app = express();
  app.disable('x-powered-by');
  // curl -d sends form encoding; accept any body as plain text and parse it ourselves.
  app.use(express.text({ type: () => true, limit: '1kb' }));
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/readyz', (_req, res) => {
    const ok = control.ready();
    res.status(ok ? 200 : 503).json({ ok });
  });
  app.get('/rate', (_req, res) => {
    res.json({ rate: control.rate() });
  });
  app.put('/rate', (req, res) => {
    try {
      const rate = parseRate(typeof req.body === 'string' ? req.body : '', control.maxRate());
      control.setRate(rate);
      res.json({ rate });
    } catch (err) {
      res.status(400).json({ error: (err as Error).message });
    }
  });
  app.get('/partitions', (_req, res) => {
    res.json({ partitions: control.partitions() });
  });
  app.put('/partitions', async (req, res) => {
    let total: number;
    try {
      total = parsePartitions(typeof req.body === 'string' ? req.body : '', control.partitions());
    } catch (err) {
      res.status(err instanceof ConflictError ? 409 : 400).json({ error: (err as Error).message });
      return;
    }
    try {
      await control.addPartitions(total);
      res.json({ partitions: control.partitions() });
    } catch (err) {
      res.status(502).json({ error: `Kafka refused: ${(err as Error).message}` });
    }
  });
  app.get('/status', (_req, res) => {
    res.json({ ready: control.ready(), rate: control.rate(), partitions: control.partitions(), produced: control.produced() });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return app;
}
