import { LAB_PROTOCOLS, type LabProtocol } from '../consumer/lab-protocol';

export interface JoinOptions {
  name: string;
  bootstrap: string;
  group: string;
  topic: string;
  protocol: LabProtocol;
  /** Only run the checks, do not join. */
  checkOnly: boolean;
}

export class UsageError extends Error {}

export const JOIN_USAGE = [
  'usage: join --name NAME --bootstrap HOST:PORT [--group lab-group] [--topic lab-events] [--protocol eager|cooperative|static|kip848] [--check-only]',
  '  --name       how you appear on the dashboard (letters, digits, . _ -)',
  "  --bootstrap  the instructor's address and Kafka's external port, e.g. 192.168.1.20:9094",
  '  --protocol   default: LAB_PROTOCOL from the environment, else cooperative (the lab default)',
  '  --check-only run the checks and exit 0 when all pass, without joining',
].join('\n');

/**
 * `--flag value` and `--flag=value` only, no positional tricks: the same words work in bash,
 * PowerShell and cmd. Defaults for group and topic are the lab's; LAB_PROTOCOL from the
 * environment (docker run -e LAB_PROTOCOL=...) is the protocol's default.
 */
export function parseJoinArgs(args: string[], env: NodeJS.ProcessEnv): JoinOptions {
  const given = new Map<string, string>();
  const flags = new Set(['check-only']);
  for (let i = 0; i < args.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(args[i]);
    if (!m) throw new UsageError(`unexpected argument ${JSON.stringify(args[i])}`);
    const [, key, inline] = m;
    if (flags.has(key)) {
      given.set(key, 'true');
      continue;
    }
    if (!['name', 'bootstrap', 'group', 'topic', 'protocol'].includes(key)) throw new UsageError(`unknown option --${key}`);
    const value = inline ?? args[++i];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`--${key} needs a value`);
    given.set(key, value);
  }
  const name = given.get('name');
  const bootstrap = given.get('bootstrap');
  if (!name) throw new UsageError('--name is required: how you appear on the dashboard, e.g. --name alice');
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new UsageError(`--name ${JSON.stringify(name)} is not accepted: expected 1 to 64 letters, digits, ".", "_" or "-"`);
  if (!bootstrap) throw new UsageError("--bootstrap is required: the instructor's address and port, e.g. --bootstrap 192.168.1.20:9094");
  const protocol = given.get('protocol') ?? (env.LAB_PROTOCOL?.trim() || 'cooperative');
  if (!(LAB_PROTOCOLS as readonly string[]).includes(protocol)) throw new UsageError(`--protocol ${JSON.stringify(protocol)} is not accepted: expected one of ${LAB_PROTOCOLS.join(', ')}`);
  return {
    name,
    bootstrap,
    group: given.get('group') ?? 'lab-group',
    topic: given.get('topic') ?? 'lab-events',
    protocol: protocol as LabProtocol,
    checkOnly: given.has('check-only'),
  };
}
