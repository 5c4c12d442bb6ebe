/**
 * Names and colours that last as long as the member: each poll's view is rebuilt from scratch,
 * so without memory a member would be renamed when a second client with its client id arrives,
 * and recoloured when someone else leaves. Kept in the observer's parent process, which outlives
 * the Kafka client process that polls.
 */
import { COLOUR_SLOTS, memberColours, memberNames, type GroupView, type MemberView } from './group-view';

export { COLOUR_SLOTS };

interface Identity {
  name: string;
  colour: number;
}

export class MemberIdentities {
  private readonly groups = new Map<string, Map<string, Identity>>();

  /** The views with the names and colours members already had; newcomers get free ones. */
  apply(views: GroupView[]): GroupView[] {
    const out = views.map((v) => this.applyOne(v));
    for (const group of [...this.groups.keys()]) if (!views.some((v) => v.group === group)) this.groups.delete(group);
    return out;
  }

  private applyOne(view: GroupView): GroupView {
    const before = this.groups.get(view.group) ?? new Map<string, Identity>();
    const keptNames = new Map([...before].map(([id, i]) => [id, i.name]));
    const keptColours = new Map([...before].map(([id, i]) => [id, i.colour]));
    const names = memberNames(view.members, keptNames);
    const colours = memberColours(names, keptColours);
    const now = new Map<string, Identity>();
    for (const [id, name] of names) now.set(id, { name, colour: colours.get(id)! });
    this.groups.set(view.group, now);

    const byId = new Map<string, MemberView>();
    const idByOldName = new Map<string, string>();
    for (const m of view.members) {
      idByOldName.set(m.member, m.memberId);
      const i = now.get(m.memberId)!;
      byId.set(m.memberId, { ...m, member: i.name, colour: i.colour });
    }
    const members = [...byId.values()].sort((a, b) => a.member.localeCompare(b.member, 'en', { numeric: true }));
    const partitions = view.partitions.map((p) => ({
      ...p,
      owner: p.owner ? byId.get(p.owner.memberId)! : null,
      targetOwner: p.targetOwner === null ? null : (now.get(idByOldName.get(p.targetOwner) ?? '')?.name ?? p.targetOwner),
    }));
    return { ...view, members, partitions };
  }
}
