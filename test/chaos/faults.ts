/**
 * The chaos test's kinds of fault and the seeded order it applies them in. Kept apart from the run
 * so that the order a seed gives can be checked without a broker: a replay is only useful if the
 * same seed still draws the same steps.
 */
import { shuffled } from './audit';

export const FAULTS = ['kill -9', 'SIGTERM and restart', 'SIGSTOP past the session', 'broker restart'] as const;
export type Fault = (typeof FAULTS)[number];
/** How CHAOS_FAULTS names them (no spaces), in FAULTS' order. */
export const FAULT_NAMES = ['kill-9', 'sigterm', 'sigstop', 'broker-restart'] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

export function faultsNamed(names: readonly FaultName[]): Fault[] {
  return names.map((n) => FAULTS[FAULT_NAMES.indexOf(n)]);
}

/**
 * `count` steps cycling through `kinds` (so each comes equally often), shuffled by `random`. The
 * same generator then draws the victims, so this must draw from it exactly as before for old seeds
 * to replay.
 */
export function faultOrder(kinds: readonly Fault[], count: number, random: () => number): Fault[] {
  return shuffled(Array.from({ length: count }, (_, k) => kinds[k % kinds.length]), random);
}
