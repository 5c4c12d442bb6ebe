/**
 * The consumer's lifecycle. /healthz, /readyz and the shutdown sequence all read it, and a
 * transition out of order is a programming error that names the states involved.
 */
export const LIFECYCLE_STATES = ['starting', 'connecting', 'running', 'stopping', 'stopped'] as const;
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

const NEXT: Record<LifecycleState, readonly LifecycleState[]> = {
  starting: ['connecting', 'stopping'],
  connecting: ['running', 'stopping'],
  running: ['stopping'],
  stopping: ['stopped'],
  stopped: [],
};

export class Lifecycle {
  private current: LifecycleState = 'starting';
  constructor(private readonly onChange: (s: LifecycleState) => void = () => {}) {}

  get state(): LifecycleState {
    return this.current;
  }

  to(next: LifecycleState): void {
    if (!NEXT[this.current].includes(next)) {
      throw new Error(`consumer cannot go from state ${this.current} to ${next}`);
    }
    this.current = next;
    this.onChange(next);
  }
}
