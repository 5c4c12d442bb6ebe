import { BrokerAdmin } from '../../src/observer/broker-admin';
import { loadObserverConfig } from '../../src/observer/config';

/**
 * A child process that describes one group with the observer's BrokerAdmin whenever its parent
 * asks ("describe" over IPC) and answers with the outcome. It is a child so that a native abort
 * in librdkafka ends this process, which the test sees as an exit signal, and not the test runner.
 */
const config = loadObserverConfig(process.env);
const group = process.env.GROUP!;
const admin = new BrokerAdmin({ brokers: config.brokers, clientId: 'describe-through-outage', security: config.security, timeoutMs: config.timeoutMs });

process.on('message', () => {
  admin.describeGroups([group], config.topic).then(
    (gs) => process.send!({ ok: true, members: gs[0]?.members.length ?? 0 }),
    (err: unknown) => process.send!({ ok: false, error: String((err as Error)?.message ?? err) }),
  );
});
process.send!({ ready: true });
