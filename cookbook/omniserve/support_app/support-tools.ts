/**
 * The support assistant's tools. Arguments are checked by their zod schemas before `execute` runs; a rule that
 * refuses something throws an Error whose message says what to do instead, which the model receives as the tool's
 * answer ("Error: Tool ... failed: ...") and can act on.
 */
import { ToolRegistry, type ToolContext } from 'omnicoreagent';
import { z } from 'zod';
import { evaluateRefund, formatCents, REFUND_REASONS } from './refund-policy.ts';
import { addDays, type SupportClock } from './support-clock.ts';
import { TICKET_PRIORITIES, UNRESOLVED_STATUSES, type Order, type SupportDb, type Ticket } from './support-db.ts';
import { buildTicketDigest } from './ticket-digest.ts';

export interface SupportToolsOptions {
  /** The database, opened (and created) on the first call that needs it. */
  readonly database: () => SupportDb;
  readonly clock: SupportClock;
}

const orderId = z.string().regex(/^ORD-\d{4,}$/, 'order ids look like ORD-2001').describe('Order id, such as ORD-2001');
const customerId = z.string().regex(/^C-\d{4,}$/, 'customer ids look like C-1001').describe('Customer id, such as C-1001');
const ticketId = z.string().regex(/^T-\d{1,9}$/, 'ticket ids look like T-301').describe('Ticket id, such as T-301');
const priority = z.enum(TICKET_PRIORITIES);

const lookupOrderInput = z.object({ order_id: orderId });
const refundInput = z.object({
  order_id: orderId,
  reason: z
    .enum(REFUND_REASONS)
    .optional()
    .describe('Why the customer wants a refund. damaged, defective and wrong_item are faults of ours; leave it out when the customer gave no reason'),
});
const openTicketInput = z
  .object({
    customer_id: customerId.optional(),
    order_id: orderId.optional().describe('The order the ticket is about, when there is one; its customer is used'),
    subject: z.string().trim().min(3).max(120).describe('One line, such as "Refund request for ORD-2001"'),
    body: z.string().trim().min(1).max(4000).describe("The customer's request and what you found, with order ids and the refund rule if any"),
    priority: priority.default('normal').describe('urgent: the customer is blocked today; high: money or a lost order; normal: most requests; low: questions'),
  })
  .refine((input) => input.customer_id !== undefined || input.order_id !== undefined, { message: 'give customer_id or order_id (or both)' });
const updateTicketInput = z
  .object({
    ticket_id: ticketId,
    status: z.enum(['open', 'pending', 'resolved', 'closed']).optional().describe('pending: waiting for the customer; resolved: done, may reopen; closed: final'),
    note: z.string().trim().min(1).max(4000).optional().describe('An internal note: what was done or said'),
  })
  .refine((input) => input.status !== undefined || input.note !== undefined, { message: 'give a status, a note, or both' });
const escalateInput = z.object({
  ticket_id: ticketId,
  reason: z.string().trim().min(10).max(1000).describe('Why a person must decide: the rule (such as over_limit), the amount, what the customer asked'),
});
const listInput = z.object({
  priority: priority.optional(),
  customer_id: customerId.optional(),
  limit: z.number().int().min(1).max(100).default(20),
});

function requireOrder(db: SupportDb, id: string): Order {
  const order = db.getOrder(id);
  if (order === undefined) throw new Error(`no order ${id}; ask the customer to check the id in their confirmation email (order ids look like ORD-2001)`);
  return order;
}

function requireTicket(db: SupportDb, id: string): Ticket {
  const ticket = db.getTicket(id);
  if (ticket === undefined) throw new Error(`no ticket ${id}; list_open_tickets shows the open ones`);
  return ticket;
}

const author = (context: ToolContext) => `assistant:${context.sessionId}`;

function describeOrder(order: Order) {
  const itemsCents = order.items.reduce((sum, item) => sum + item.unit_price_cents * item.quantity, 0);
  const { items, shipping_cents, ...fields } = order;
  return {
    ...fields,
    shipping: formatCents(shipping_cents),
    total: formatCents(itemsCents + shipping_cents),
    items: items.map(({ unit_price_cents, opened, downloaded_at, ...item }) => ({
      ...item,
      unit_price: formatCents(unit_price_cents),
      ...(item.kind === 'physical' ? { opened } : { downloaded: downloaded_at !== null, downloaded_at }),
    })),
  };
}

/** The tools, as one registry for the agent's `localTools`. */
export function createSupportTools({ database, clock }: SupportToolsOptions): ToolRegistry {
  return new ToolRegistry()
    .register({
      name: 'lookup_order',
      description: 'An order with its customer, items (opened / downloaded), dates, status, total, and the tickets about it. Use it before answering any question about an order.',
      inputSchema: lookupOrderInput,
      execute: ({ order_id }: z.output<typeof lookupOrderInput>) => {
        const db = database();
        const order = requireOrder(db, order_id);
        const tickets = db.listTickets({ statuses: ['open', 'pending', 'escalated', 'resolved', 'closed'], orderId: order_id, limit: 20 });
        return { order: describeOrder(order), customer: db.getCustomer(order.customer_id), tickets, today: clock.today() };
      },
    })
    .register({
      name: 'check_refund_eligibility',
      description: 'Applies the written refund policy to an order as of today: the decision (eligible, partial, not_eligible, escalate), the amount, the rule that decided and what to do next. The only source for refund answers.',
      inputSchema: refundInput,
      execute: ({ order_id, reason }: z.output<typeof refundInput>) => evaluateRefund(requireOrder(database(), order_id), clock.today(), reason),
    })
    .register({
      name: 'open_ticket',
      description: "Opens a ticket for a customer (give order_id when it is about an order). Use it for refunds to issue, problems to follow up, and before escalating when there is no ticket yet.",
      inputSchema: openTicketInput,
      execute: (input: z.output<typeof openTicketInput>) => {
        const db = database();
        const order = input.order_id === undefined ? undefined : requireOrder(db, input.order_id);
        if (order !== undefined && input.customer_id !== undefined && input.customer_id !== order.customer_id) {
          throw new Error(`${order.order_id} belongs to customer ${order.customer_id}, not ${input.customer_id}; check which one the customer means`);
        }
        const customer = order?.customer_id ?? (input.customer_id as string);
        if (db.getCustomer(customer) === undefined) throw new Error(`no customer ${customer}; customer ids look like C-1001`);
        const already = db.listTickets({ statuses: UNRESOLVED_STATUSES, customerId: customer, limit: 10 });
        const ticket = db.createTicket(
          { customer_id: customer, order_id: order?.order_id ?? null, subject: input.subject, body: input.body, priority: input.priority },
          clock.now(),
        );
        return { ticket, other_unresolved_tickets: already.map(({ ticket_id, subject, status }) => ({ ticket_id, subject, status })) };
      },
    })
    .register({
      name: 'update_ticket',
      description: 'Changes a ticket\'s status (open, pending, resolved, closed) and/or adds an internal note. Escalated tickets only take notes; closed tickets take nothing.',
      inputSchema: updateTicketInput,
      execute: ({ ticket_id, status, note }: z.output<typeof updateTicketInput>, context: ToolContext) => {
        const db = database();
        const ticket = requireTicket(db, ticket_id);
        if (ticket.status === 'closed') throw new Error(`${ticket_id} is closed and cannot change; open a new ticket (open_ticket) for a new request`);
        if (ticket.status === 'escalated' && status !== undefined) {
          throw new Error(`${ticket_id} is escalated: only the escalation team changes its status. Add a note instead (update_ticket with note only)`);
        }
        const updated = db.changeTicket(ticket_id, { ...(status ? { status } : {}), ...(note ? { note } : {}) }, author(context), clock.now());
        return { ticket: updated, notes: db.ticketNotes(ticket_id) };
      },
    })
    .register({
      name: 'escalate_ticket',
      description: 'Hands a ticket to the escalation team: for lost orders, refunds over the approval limit, defective downloads, angry customers, and whenever you are unsure. Raises low/normal priority to high.',
      inputSchema: escalateInput,
      execute: ({ ticket_id, reason }: z.output<typeof escalateInput>, context: ToolContext) => {
        const db = database();
        const ticket = requireTicket(db, ticket_id);
        if (ticket.status === 'escalated') {
          throw new Error(`${ticket_id} was already escalated on ${ticket.escalated_at} (${ticket.escalation_reason}); add a note with update_ticket instead`);
        }
        if (ticket.status === 'resolved' || ticket.status === 'closed') {
          throw new Error(`${ticket_id} is ${ticket.status}; open a new ticket (open_ticket) for the new problem and escalate that one`);
        }
        const now = clock.now();
        const raised = ticket.priority === 'low' || ticket.priority === 'normal' ? { priority: 'high' as const } : {};
        const updated = db.changeTicket(
          ticket_id,
          { status: 'escalated', escalated_at: now, escalation_reason: reason, note: `Escalated: ${reason}`, ...raised },
          author(context),
          now,
        );
        return { ticket: updated, message: 'The escalation team reviews escalated tickets within one business day.' };
      },
    })
    .register({
      name: 'list_open_tickets',
      description: 'Tickets still open, pending or escalated, highest priority first; filter by priority or customer.',
      inputSchema: listInput,
      execute: ({ priority: level, customer_id, limit }: z.output<typeof listInput>) => {
        const tickets = database().listTickets({
          statuses: UNRESOLVED_STATUSES,
          ...(level ? { priority: level } : {}),
          ...(customer_id ? { customerId: customer_id } : {}),
          limit,
        });
        return { count: tickets.length, tickets };
      },
    })
    .register({
      name: 'write_ticket_digest',
      description: "Builds today's ticket digest (unresolved by priority, escalated, opened and updated in the last day) and, in a background run, saves it as digest-YYYY-MM-DD.md in the run's workspace. Returns the counts.",
      inputSchema: z.object({}),
      execute: async (_input: Record<string, never>, context: ToolContext) => {
        const today = clock.today();
        const digest = buildTicketDigest(database().ticketsForDigest(addDays(today, -1)), today);
        if (context.workspace === undefined) {
          // An interactive run has no workspace: hand the text back instead of writing it anywhere.
          return { written: false, note: 'Not a background run, so nothing was saved; the digest is below.', counts: digest.counts, markdown: digest.markdown };
        }
        await context.workspace.writeFile(digest.file, digest.markdown);
        return { written: true, file: digest.file, counts: digest.counts };
      },
    });
}
