import { addDays } from './support-clock.ts';
import { TICKET_PRIORITIES, UNRESOLVED_STATUSES, type Ticket, type TicketPriority } from './support-db.ts';

export interface DigestCounts {
  readonly date: string;
  /** Tickets still to work on: open, pending or escalated. */
  readonly unresolved: number;
  readonly unresolved_by_priority: Readonly<Record<TicketPriority, number>>;
  readonly escalated: number;
  /** Created yesterday or today. */
  readonly opened_last_day: number;
  /** Created before yesterday, updated yesterday or today. */
  readonly updated_last_day: number;
}

export interface TicketDigest {
  /** `digest-YYYY-MM-DD.md`. */
  readonly file: string;
  readonly markdown: string;
  readonly counts: DigestCounts;
}

const day = (timestamp: string): string => timestamp.slice(0, 10);
const line = (t: Ticket): string =>
  `- **${t.ticket_id}** (${t.priority}, ${t.status}) ${t.customer_id}${t.order_id ? ` / ${t.order_id}` : ''}: ${t.subject}`;

/**
 * The daily digest for `today` (YYYY-MM-DD): every unresolved ticket by priority, the escalated ones with their
 * reason, and the activity of the last day, which is yesterday and today (UTC calendar days), so a digest written
 * at 08:00 covers all of yesterday and this morning. Tickets dated after `today` are left out.
 */
export function buildTicketDigest(tickets: readonly Ticket[], today: string): TicketDigest {
  const since = addDays(today, -1);
  const inWindow = (timestamp: string) => day(timestamp) >= since && day(timestamp) <= today;
  const known = tickets.filter((t) => day(t.created_at) <= today);
  const unresolved = known.filter((t) => UNRESOLVED_STATUSES.includes(t.status));
  const escalated = unresolved.filter((t) => t.status === 'escalated');
  const opened = known.filter((t) => inWindow(t.created_at));
  const updated = known.filter((t) => !inWindow(t.created_at) && inWindow(t.updated_at));
  const byPriority = Object.fromEntries(
    TICKET_PRIORITIES.map((priority) => [priority, unresolved.filter((t) => t.priority === priority).length]),
  ) as Record<TicketPriority, number>;

  const counts: DigestCounts = {
    date: today,
    unresolved: unresolved.length,
    unresolved_by_priority: byPriority,
    escalated: escalated.length,
    opened_last_day: opened.length,
    updated_last_day: updated.length,
  };
  const section = (title: string, list: readonly Ticket[], render = line) =>
    [`## ${title}`, '', ...(list.length === 0 ? ['None.'] : list.map(render)), ''];

  const markdown = [
    `# Support ticket digest, ${today}`,
    '',
    `Activity on ${since} and ${today} (UTC), and every ticket still open, pending or escalated.`,
    '',
    '## Summary',
    '',
    `- Unresolved tickets: ${counts.unresolved} (${TICKET_PRIORITIES.map((p) => `${p} ${byPriority[p]}`).join(', ')})`,
    `- Escalated: ${counts.escalated}`,
    `- Opened in the last day: ${counts.opened_last_day}`,
    `- Updated in the last day: ${counts.updated_last_day}`,
    '',
    '## Unresolved by priority',
    '',
    '| priority | tickets |',
    '|---|---|',
    ...TICKET_PRIORITIES.map((p) => `| ${p} | ${byPriority[p]} |`),
    '',
    ...section('Escalated', escalated, (t) => `${line(t)}. Since ${t.escalated_at ?? 'unknown'}: ${t.escalation_reason ?? 'no reason recorded'}`),
    ...section('Opened in the last day', opened),
    ...section('Updated in the last day', updated),
    ...section('All unresolved, highest priority first', sortByPriority(unresolved)),
  ].join('\n');
  return { file: `digest-${today}.md`, markdown, counts };
}

function sortByPriority(tickets: readonly Ticket[]): Ticket[] {
  return [...tickets].sort(
    (a, b) => TICKET_PRIORITIES.indexOf(a.priority) - TICKET_PRIORITIES.indexOf(b.priority) || a.created_at.localeCompare(b.created_at),
  );
}
