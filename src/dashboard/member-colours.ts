/**
 * One colour per group member, decided by its name alone, the same on every panel.
 *
 * Grafana cannot colour a series by a hash of its name without using its classic palette (which
 * has reds and shifts nothing we control), and a state timeline colours values through value
 * mappings while a time series colours series through overrides. Both accept regular expressions,
 * so the rule here is one that regular expressions can state exactly; the dashboard emits it as
 * regex value mappings (timeline, first match wins) and byRegexp overrides (time series, bar
 * gauges; last match wins), and a test runs both through Grafana's own code against
 * `memberColourSlot`.
 *
 * - A name ending in a number N from 1 to 64 (lab-consumer-3, consumer-2, a Java client's
 *   consumer-lab-group-1) takes slot (N - 1) mod 16: our replicas 1 to 16 get 16 different colours.
 * - Any other name (alice, kcat's rdkafka, ...) takes one of the 8 light colours by its first
 *   character, so foreign members only ever share a colour with replicas 9 to 16 or with each
 *   other; the name is always printed next to the colour.
 *
 * No red: red means "no owner" and "gaps" on this dashboard.
 */

/** 16 qualitative colours, dark ones first (replicas 1-8), then their light partners (9-16). */
export const MEMBER_PALETTE: readonly string[] = [
  '#1F77B4', // blue
  '#FF7F0E', // orange
  '#2CA02C', // green
  '#9467BD', // purple
  '#17BECF', // cyan
  '#BCBD22', // olive
  '#E377C2', // pink
  '#8C564B', // brown
  '#AEC7E8', // light blue
  '#FFBB78', // light orange
  '#98DF8A', // light green
  '#C5B0D5', // lavender
  '#9EDAE5', // light cyan
  '#DBDB8D', // khaki
  '#F7B6D2', // light pink
  '#C49C94', // tan
];

/** Reserved for a partition nobody owns and for lost messages. */
export const NO_OWNER_COLOUR = 'red';

const SLOTS = MEMBER_PALETTE.length;
const MAX_NUMBERED = 64;
const FIRST_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';
const LIGHT_FIRST = 8;
const LIGHT_SLOTS = SLOTS - LIGHT_FIRST;

/** The part of a series name that names the member: legends such as "lab-consumer-2 p99" add words after a space. */
function memberKey(displayName: string): string {
  return displayName.split(' ')[0];
}

export function memberColourSlot(displayName: string): number {
  const key = memberKey(displayName);
  const numbered = /(?:^|\D)(\d+)$/.exec(key);
  if (numbered) {
    const n = Number(numbered[1]);
    if (n >= 1 && n <= MAX_NUMBERED) return (n - 1) % SLOTS;
  }
  const i = FIRST_CHARS.indexOf(key.charAt(0).toLowerCase());
  return LIGHT_FIRST + (i < 0 ? LIGHT_SLOTS - 1 : i % LIGHT_SLOTS);
}

export function memberColour(displayName: string): string {
  return MEMBER_PALETTE[memberColourSlot(displayName)];
}

export interface SlotRule {
  slot: number;
  colour: string;
  /** A JavaScript regex literal as Grafana writes it ("/.../"), matched against a value or a display name. */
  pattern: string;
}

/**
 * The rule as regexes, in the order a first-match consumer (value mappings) must try them:
 * numbered names first, then first characters, then anything else. A last-match consumer
 * (overrides) takes them reversed.
 */
export function slotRules(): SlotRule[] {
  const rules: SlotRule[] = [];
  for (let slot = 0; slot < SLOTS; slot++) {
    const numbers: number[] = [];
    for (let n = slot + 1; n <= MAX_NUMBERED; n += SLOTS) numbers.push(n);
    // The member key is everything before the first space; the number must follow a non-digit or start it.
    rules.push({ slot, colour: MEMBER_PALETTE[slot], pattern: `/^(?:[^ ]*[^ 0-9])?0*(?:${numbers.join('|')})(?: .*)?$/` });
  }
  for (let light = 0; light < LIGHT_SLOTS; light++) {
    const chars = [...FIRST_CHARS].filter((_, i) => i % LIGHT_SLOTS === light);
    const slot = LIGHT_FIRST + light;
    const upper = chars.filter((c) => /[a-z]/.test(c)).map((c) => c.toUpperCase());
    rules.push({ slot, colour: MEMBER_PALETTE[slot], pattern: `/^[${chars.join('')}${upper.join('')}]/` });
  }
  // Names starting with anything else (punctuation, non-Latin letters).
  rules.push({ slot: SLOTS - 1, colour: MEMBER_PALETTE[SLOTS - 1], pattern: '/^/' });
  return rules;
}

/**
 * Colours the observer hands out (lab_group_member_colour): a slot per member, kept while the
 * member stays, distinct for up to 32 members whatever their names. Slots 0-15 are the name
 * rule's colours, so lab-consumer-N (slot N-1 in both) looks the same in Kafka's view and in our
 * consumers' own report; 16-31 are further non-red colours for everybody else.
 */
export const SLOT_PALETTE: readonly string[] = [
  ...MEMBER_PALETTE,
  '#393B79', // indigo
  '#5254A3', // slate blue
  '#6B6ECF', // periwinkle
  '#9C9EDE', // light periwinkle
  '#637939', // moss
  '#8CA252', // leaf
  '#B5CF6B', // lime
  '#CEDB9C', // pale lime
  '#8C6D31', // bronze
  '#BD9E39', // mustard
  '#E7BA52', // gold
  '#E7CB94', // sand
  '#7B4173', // plum
  '#A55194', // magenta
  '#CE6DBD', // orchid
  '#DE9ED6', // light orchid
];

/** The slot as the observer writes it in the colour label: two digits. */
export const slotLabel = (slot: number) => String(slot).padStart(2, '0');

/**
 * Panels showing Kafka's view carry the slot in front of the name, "07~alice" (PromQL's
 * label_join or a legend "{{colour}}~{{member}}"); these rules colour by the slot and show the name.
 */
export function slotPattern(slot: number): string {
  return `/^${slotLabel(slot)}~(.*)$/`;
}
