import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { seedIfEmpty } from './seed-support-db.ts';

export const TICKET_STATUSES = ['open', 'pending', 'escalated', 'resolved', 'closed'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];
/** Highest first. */
export const TICKET_PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];
/** Statuses of a ticket someone still has to work on. */
export const UNRESOLVED_STATUSES: readonly TicketStatus[] = ['open', 'pending', 'escalated'];

export type OrderStatus = 'processing' | 'shipped' | 'delivered' | 'cancelled' | 'refunded';

export interface Customer {
  readonly customer_id: string;
  readonly name: string;
  readonly email: string;
  readonly tier: 'standard' | 'plus';
}

export interface OrderItem {
  readonly sku: string;
  readonly name: string;
  readonly kind: 'physical' | 'digital';
  readonly quantity: number;
  readonly unit_price_cents: number;
  readonly opened: boolean;
  readonly downloaded_at: string | null;
}

export interface Order {
  readonly order_id: string;
  readonly customer_id: string;
  readonly status: OrderStatus;
  readonly ordered_at: string;
  readonly shipped_at: string | null;
  readonly delivered_at: string | null;
  readonly cancelled_at: string | null;
  readonly refunded_at: string | null;
  readonly shipping_cents: number;
  readonly currency: string;
  readonly items: readonly OrderItem[];
}

export interface Ticket {
  /** `T-<number>`, the id people and the model use. */
  readonly ticket_id: string;
  readonly customer_id: string;
  readonly order_id: string | null;
  readonly subject: string;
  readonly body: string;
  readonly status: TicketStatus;
  readonly priority: TicketPriority;
  readonly created_at: string;
  readonly updated_at: string;
  readonly escalated_at: string | null;
  readonly escalation_reason: string | null;
}

export interface TicketNote {
  readonly created_at: string;
  readonly author: string;
  readonly body: string;
}

export interface NewTicket {
  readonly customer_id: string;
  readonly order_id: string | null;
  readonly subject: string;
  readonly body: string;
  readonly priority: TicketPriority;
}

export interface TicketChange {
  readonly status?: TicketStatus;
  readonly priority?: TicketPriority;
  readonly escalated_at?: string;
  readonly escalation_reason?: string;
  /** Added as a note by `author`. */
  readonly note?: string;
}

type TicketRow = Omit<Ticket, 'ticket_id'> & { ticket_id: number };

/** `T-301` → 301; undefined for anything else. */
export function ticketNumber(ticketId: string): number | undefined {
  const match = /^T-(\d{1,9})$/.exec(ticketId);
  return match ? Number(match[1]) : undefined;
}

const toTicket = (row: TicketRow): Ticket => ({ ...row, ticket_id: `T-${row.ticket_id}` });

/**
 * The support desk's data: orders (read only) and tickets (read and write), in one SQLite file. Plain data access;
 * the rules about what may change live in the tools. Every write stamps `updated_at` with the time it is given.
 */
export class SupportDb {
  readonly #db: Database.Database;

  private constructor(db: Database.Database) {
    this.#db = db;
  }

  /** Opens the file, creating it (and its directory) from seed.sql when it is new or empty. */
  static open(path: string, today: string): SupportDb {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    try {
      if (path !== ':memory:') db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
      seedIfEmpty(db, today);
    } catch (error) {
      db.close();
      throw new Error(`cannot open the support database at ${path}: ${(error as Error).message}`, { cause: error });
    }
    return new SupportDb(db);
  }

  getCustomer(customerId: string): Customer | undefined {
    return this.#db.prepare('SELECT customer_id, name, email, tier FROM customers WHERE customer_id = ?').get(customerId) as Customer | undefined;
  }

  getOrder(orderId: string): Order | undefined {
    const row = this.#db.prepare('SELECT * FROM orders WHERE order_id = ?').get(orderId) as Omit<Order, 'items'> | undefined;
    if (row === undefined) return undefined;
    const items = this.#db
      .prepare(
        `SELECT i.sku, p.name, p.kind, i.quantity, i.unit_price_cents, i.opened, i.downloaded_at
           FROM order_items i JOIN products p ON p.sku = i.sku WHERE i.order_id = ? ORDER BY i.rowid`,
      )
      .all(orderId) as (Omit<OrderItem, 'opened'> & { opened: number })[];
    return { ...row, items: items.map((item) => ({ ...item, opened: item.opened === 1 })) };
  }

  getTicket(ticketId: string): Ticket | undefined {
    const row = this.#db.prepare('SELECT * FROM tickets WHERE ticket_id = ?').get(ticketNumber(ticketId) ?? -1) as TicketRow | undefined;
    return row === undefined ? undefined : toTicket(row);
  }

  ticketNotes(ticketId: string): TicketNote[] {
    return this.#db
      .prepare('SELECT created_at, author, body FROM ticket_notes WHERE ticket_id = ? ORDER BY note_id')
      .all(ticketNumber(ticketId) ?? -1) as TicketNote[];
  }

  /** Tickets in the given statuses, highest priority first, then oldest first. */
  listTickets(filter: { statuses: readonly TicketStatus[]; priority?: TicketPriority; customerId?: string; orderId?: string; limit: number }): Ticket[] {
    const where = [`status IN (${filter.statuses.map(() => '?').join(', ')})`];
    const params: (string | number)[] = [...filter.statuses];
    const optional = [
      ['priority', filter.priority],
      ['customer_id', filter.customerId],
      ['order_id', filter.orderId],
    ] as const;
    for (const [column, value] of optional) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    const rows = this.#db
      .prepare(
        `SELECT * FROM tickets WHERE ${where.join(' AND ')}
          ORDER BY CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END, created_at, ticket_id
          LIMIT ?`,
      )
      .all(...params, filter.limit) as TicketRow[];
    return rows.map(toTicket);
  }

  /** Every unresolved ticket, and every ticket created or updated on or after `sinceDay` (YYYY-MM-DD). */
  ticketsForDigest(sinceDay: string): Ticket[] {
    const rows = this.#db
      .prepare(
        `SELECT * FROM tickets
          WHERE status IN ('open', 'pending', 'escalated') OR substr(created_at, 1, 10) >= @since OR substr(updated_at, 1, 10) >= @since
          ORDER BY ticket_id`,
      )
      .all({ since: sinceDay }) as TicketRow[];
    return rows.map(toTicket);
  }

  createTicket(ticket: NewTicket, now: string): Ticket {
    const { lastInsertRowid } = this.#db
      .prepare(
        `INSERT INTO tickets (customer_id, order_id, subject, body, status, priority, created_at, updated_at)
         VALUES (@customer_id, @order_id, @subject, @body, 'open', @priority, @now, @now)`,
      )
      .run({ ...ticket, now });
    return this.getTicket(`T-${lastInsertRowid}`)!;
  }

  /** Applies the change and its note in one transaction; returns the ticket as it is now. */
  changeTicket(ticketId: string, change: TicketChange, author: string, now: string): Ticket {
    const id = ticketNumber(ticketId);
    const apply = this.#db.transaction(() => {
      const { note, ...fields } = change;
      const columns = Object.keys(fields);
      this.#db
        .prepare(`UPDATE tickets SET ${[...columns.map((c) => `${c} = @${c}`), 'updated_at = @now'].join(', ')} WHERE ticket_id = @id`)
        .run({ ...fields, now, id });
      if (note !== undefined) {
        this.#db.prepare('INSERT INTO ticket_notes (ticket_id, created_at, author, body) VALUES (?, ?, ?, ?)').run(id, now, author, note);
      }
    });
    apply.immediate();
    return this.getTicket(ticketId)!;
  }

  close(): void {
    this.#db.close();
  }
}
