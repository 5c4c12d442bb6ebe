/** The text at the top: which panel answers which step of the lab (the participants' "Step 4: Scale-up"). */
import type { Section } from '../grafana';

const GUIDE = `**Step 4, scale-up: where to look.** "Kafka's view (every client)" is what the group coordinator says about every member, whatever program or laptop it runs on. "Our consumers' own report" is what this lab's consumers measure themselves.

| Lab step | Panel |
|---|---|
| 1. The instructor raises the load | *Messages per second* (the dashed target rate, the produced line), *Lag per partition* |
| 2-3. You and a colleague join the group from your laptops | *Members* (your name, host, partitions, since when), *Partition owner* (your colour appears), *Partitions per member now* |
| Question 1: how are partitions redistributed? All messages or a subset? | *Partition owner* (a colour change is a rebalance), *Partitions per member over time*, *Committed messages per second per member* (each member's share) |
| 4. Stop one instance | *Group state over time* (a rebalance), *Partition owner* (its partitions change colour), *Lag per partition* (the lag it left, then drained), *Members in the group* |
| Question 2: does the rest pick up the work? Anything lost? | *Partitions without owner* (0), *Correctness* row (gaps stay 0; duplicates after a kill) |

Each member keeps one colour everywhere while it stays in the group. Latency and resources are in the folded *Diagnostics* row at the bottom.`;

export const guideRow: Section = {
  title: null,
  lines: [
    [
      {
        type: 'text',
        title: 'Which panel answers which step of the lab',
        description: 'The lab steps of "Step 4: Scale-up" and the panels that show them.',
        w: 24,
        h: 8,
        options: { mode: 'markdown', content: GUIDE, code: { language: 'plaintext', showLineNumbers: false, showMiniMap: false } },
      },
    ],
  ],
};
