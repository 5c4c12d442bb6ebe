import type { AssignmentStrategy, GroupProtocol } from './config';

/**
 * The lab's four protocols, each one setting a workshop switches between instead of editing
 * GROUP_PROTOCOL, ASSIGNMENT_STRATEGY and STATIC_MEMBERSHIP together (and getting one wrong).
 */
export const LAB_PROTOCOLS = ['eager', 'cooperative', 'static', 'kip848'] as const;
export type LabProtocol = (typeof LAB_PROTOCOLS)[number];

interface Meaning {
  groupProtocol: GroupProtocol;
  /** The assignors the lab protocol allows, its default first; none when the broker assigns. */
  strategies: readonly AssignmentStrategy[];
  staticMembership: boolean;
}

const MEANINGS: Record<LabProtocol, Meaning> = {
  eager: { groupProtocol: 'classic', strategies: ['range', 'roundrobin'], staticMembership: false },
  cooperative: { groupProtocol: 'classic', strategies: ['cooperative-sticky'], staticMembership: false },
  // Static membership is about restarts, not about the assignor: any classic one goes.
  static: { groupProtocol: 'classic', strategies: ['cooperative-sticky', 'range', 'roundrobin'], staticMembership: true },
  kip848: { groupProtocol: 'consumer', strategies: [], staticMembership: false },
};

export interface ProtocolChoice {
  groupProtocol: GroupProtocol;
  /** null under group.protocol=consumer, where the broker assigns. */
  assignmentStrategy: AssignmentStrategy | null;
  staticMembership: boolean;
}

/** What the three older variables say, with their defaults applied, and whether each was set. */
export interface OldSettings extends ProtocolChoice {
  set: { GROUP_PROTOCOL: boolean; ASSIGNMENT_STRATEGY: boolean; STATIC_MEMBERSHIP: boolean };
}

/**
 * The protocol a consumer joins with: LAB_PROTOCOL's meaning when it is set, else the older
 * variables as before. An older variable set alongside LAB_PROTOCOL must agree with it (or pick
 * one of the assignors it allows); each one that does not is reported in `problems` and returned,
 * so the caller does not report it twice.
 */
export function chooseProtocol(lab: LabProtocol | null, old: OldSettings, problems: string[]): { choice: ProtocolChoice; contradicted: Set<string> } {
  const contradicted = new Set<string>();
  if (lab === null) return { choice: { groupProtocol: old.groupProtocol, assignmentStrategy: old.groupProtocol === 'consumer' ? null : old.assignmentStrategy, staticMembership: old.staticMembership }, contradicted };

  const m = MEANINGS[lab];
  const refuse = (name: keyof OldSettings['set'], value: string, means: string) => {
    contradicted.add(name);
    problems.push(`${name}=${JSON.stringify(value)} contradicts LAB_PROTOCOL=${lab} (${means}); unset ${name} or LAB_PROTOCOL`);
  };
  if (old.set.GROUP_PROTOCOL && old.groupProtocol !== m.groupProtocol) {
    refuse('GROUP_PROTOCOL', old.groupProtocol, `which means GROUP_PROTOCOL=${m.groupProtocol}`);
  }
  if (old.set.ASSIGNMENT_STRATEGY && !m.strategies.includes(old.assignmentStrategy as AssignmentStrategy)) {
    refuse(
      'ASSIGNMENT_STRATEGY',
      String(old.assignmentStrategy),
      m.strategies.length === 0 ? 'the broker assigns partitions under KIP-848' : `which means ASSIGNMENT_STRATEGY=${m.strategies.join(' or ')}`,
    );
  }
  if (old.set.STATIC_MEMBERSHIP && old.staticMembership !== m.staticMembership) {
    refuse('STATIC_MEMBERSHIP', old.staticMembership ? 'on' : 'off', `which means STATIC_MEMBERSHIP=${m.staticMembership ? 'on' : 'off'}`);
  }
  const strategy = m.strategies.length === 0 ? null : old.set.ASSIGNMENT_STRATEGY && m.strategies.includes(old.assignmentStrategy as AssignmentStrategy) ? old.assignmentStrategy : m.strategies[0];
  return { choice: { groupProtocol: m.groupProtocol, assignmentStrategy: strategy, staticMembership: m.staticMembership }, contradicted };
}
