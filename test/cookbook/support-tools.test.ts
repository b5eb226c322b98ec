/**
 * The support tools of cookbook/omniserve/real_application_agent.ts through their registry, the way the agent calls
 * them (arguments checked by the schema, then execute), over a seeded database file on a pinned day.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSupportConfig } from '../../cookbook/omniserve/support_app/support-config.ts';
import { fixedDayClock, isCalendarDay } from '../../cookbook/omniserve/support_app/support-clock.ts';
import { SupportDb } from '../../cookbook/omniserve/support_app/support-db.ts';
import { createSupportTools } from '../../cookbook/omniserve/support_app/support-tools.ts';
import type { ToolContext } from '../../src/agent/tool-registry.ts';
import { LocalWorkspace } from '../../src/workspace/local-workspace.ts';

const TODAY = '2025-06-16';
let dir: string;
let dbPath: string;
let db: SupportDb | undefined;
let tools: ReturnType<typeof createSupportTools>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'support-tools-'));
  dbPath = join(dir, 'nested', 'support.db');
  db = undefined;
  tools = createSupportTools({ database: () => (db ??= SupportDb.open(dbPath, TODAY)), clock: fixedDayClock(TODAY) });
});
afterEach(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

const context = (extra: Partial<ToolContext> = {}): ToolContext => ({ signal: new AbortController().signal, sessionId: 'desk-1', runId: 'run_test', ...extra });

/** Checks the arguments like the agent does, then runs the tool; a refused argument throws its message. */
async function call(name: string, args: unknown, ctx: ToolContext = context()): Promise<any> {
  const tool = tools.get(name);
  if (tool === undefined) throw new Error(`no tool ${name}`);
  const checked = tool.checkArguments(args);
  if (!checked.ok) throw new Error(`invalid arguments: ${checked.message}`);
  return tool.execute(checked.value, ctx);
}

const row = (sql: string, ...params: unknown[]) => {
  const file = new Database(dbPath, { readonly: true });
  try {
    return file.prepare(sql).get(...params) as Record<string, unknown> | undefined;
  } finally {
    file.close();
  }
};

describe('support tools', () => {
  it('offers the seven tools, and creates the database file only on first use', async () => {
    expect(tools.list().map((t) => t.name)).toEqual([
      'lookup_order', 'check_refund_eligibility', 'open_ticket', 'update_ticket', 'escalate_ticket', 'list_open_tickets', 'write_ticket_digest',
    ]);
    expect(existsSync(dbPath)).toBe(false);
    await call('list_open_tickets', {});
    expect(existsSync(dbPath)).toBe(true);
  });

  it('lookup_order returns the order, its customer, items and tickets; unknown and malformed ids are explained', async () => {
    const result = await call('lookup_order', { order_id: 'ORD-2003' });
    expect(result.order).toMatchObject({ order_id: 'ORD-2003', status: 'delivered', delivered_at: '2025-06-10', total: '144.95', shipping: '5.95' });
    expect(result.order.items).toEqual([{ sku: 'BOOT-HK', name: 'Trail hiking boots', kind: 'physical', quantity: 1, unit_price: '139.00', opened: true }]);
    expect(result.customer).toEqual({ customer_id: 'C-1003', name: 'Priya Nair', email: 'priya.nair@example.com', tier: 'standard' });
    expect(result.tickets.map((t: { ticket_id: string }) => t.ticket_id)).toEqual(['T-301']);
    await expect(call('lookup_order', { order_id: 'ORD-9999' })).rejects.toThrow(/no order ORD-9999; ask the customer/);
    await expect(call('lookup_order', { order_id: '2003' })).rejects.toThrow(/order_id: order ids look like ORD-2001/);
  });

  it('check_refund_eligibility evaluates the policy as of the clock, with the reason given', async () => {
    expect(await call('check_refund_eligibility', { order_id: 'ORD-2003' })).toMatchObject({ decision: 'partial', refund_amount: '69.50', evaluated_on: TODAY });
    expect(await call('check_refund_eligibility', { order_id: 'ORD-2003', reason: 'damaged' })).toMatchObject({ decision: 'eligible', refund_amount: '144.95' });
    await expect(call('check_refund_eligibility', { order_id: 'ORD-2003', reason: 'because' })).rejects.toThrow(/reason/);
  });

  it('open_ticket writes a row for the order\'s customer and refuses mismatched or missing ids', async () => {
    const result = await call('open_ticket', { order_id: 'ORD-2001', subject: 'Refund for ORD-2001', body: 'Unopened tent, full refund per full_refund.' });
    expect(result.ticket).toMatchObject({ ticket_id: 'T-309', customer_id: 'C-1001', order_id: 'ORD-2001', status: 'open', priority: 'normal' });
    expect(result.ticket.created_at).toMatch(/^2025-06-16T\d{2}:\d{2}:\d{2}Z$/);
    expect(row('SELECT customer_id, order_id, subject, status FROM tickets WHERE ticket_id = 309')).toEqual({
      customer_id: 'C-1001', order_id: 'ORD-2001', subject: 'Refund for ORD-2001', status: 'open',
    });
    await expect(call('open_ticket', { customer_id: 'C-1002', order_id: 'ORD-2001', subject: 'Mixed up', body: 'x' })).rejects.toThrow(
      'ORD-2001 belongs to customer C-1001, not C-1002',
    );
    await expect(call('open_ticket', { customer_id: 'C-9999', subject: 'Hello there', body: 'x' })).rejects.toThrow('no customer C-9999');
    await expect(call('open_ticket', { subject: 'No ids', body: 'x' })).rejects.toThrow('give customer_id or order_id (or both)');
    expect(row('SELECT count(*) AS n FROM tickets')).toEqual({ n: 9 });
  });

  it('update_ticket adds notes and changes status, but not on closed or escalated tickets', async () => {
    const updated = await call('update_ticket', { ticket_id: 'T-301', status: 'pending', note: 'Asked for photos of the heel.' });
    expect(updated.ticket).toMatchObject({ ticket_id: 'T-301', status: 'pending' });
    expect(updated.notes).toEqual([{ created_at: expect.stringMatching(/^2025-06-16T/), author: 'assistant:desk-1', body: 'Asked for photos of the heel.' }]);
    await expect(call('update_ticket', { ticket_id: 'T-307', note: 'hi' })).rejects.toThrow('T-307 is closed and cannot change');
    await expect(call('update_ticket', { ticket_id: 'T-302', status: 'resolved' })).rejects.toThrow('T-302 is escalated: only the escalation team');
    expect((await call('update_ticket', { ticket_id: 'T-302', note: 'Customer called again.' })).notes).toHaveLength(3);
    await expect(call('update_ticket', { ticket_id: 'T-301' })).rejects.toThrow('give a status, a note, or both');
    await expect(call('update_ticket', { ticket_id: 'T-999', note: 'x' })).rejects.toThrow('no ticket T-999');
  });

  it('escalate_ticket records the reason, raises the priority, and refuses to escalate twice', async () => {
    const { ticket } = await call('escalate_ticket', { ticket_id: 'T-303', reason: 'over_limit: kayak refund of 649.00 needs approval' });
    expect(ticket).toMatchObject({ status: 'escalated', priority: 'high', escalation_reason: 'over_limit: kayak refund of 649.00 needs approval' });
    expect((await call('escalate_ticket', { ticket_id: 'T-305', reason: 'defective download reported' })).ticket.priority).toBe('high');
    expect(row('SELECT status, priority FROM tickets WHERE ticket_id = 305')).toEqual({ status: 'escalated', priority: 'high' });
    await expect(call('escalate_ticket', { ticket_id: 'T-303', reason: 'once more with feeling' })).rejects.toThrow('T-303 was already escalated');
    await expect(call('escalate_ticket', { ticket_id: 'T-304', reason: 'the pole cracked again' })).rejects.toThrow('T-304 is resolved');
  });

  it('list_open_tickets lists unresolved tickets, highest priority first', async () => {
    const all = await call('list_open_tickets', {});
    expect(all.tickets.map((t: { ticket_id: string }) => t.ticket_id)).toEqual(['T-306', 'T-302', 'T-303', 'T-308', 'T-301', 'T-305']);
    expect((await call('list_open_tickets', { priority: 'high' })).count).toBe(2);
    expect((await call('list_open_tickets', { customer_id: 'C-1001' })).count).toBe(0);
  });
});

describe('write_ticket_digest', () => {
  it('in a background run, writes digest-<today>.md into the workspace with the counts from the data', async () => {
    const workspace = new LocalWorkspace(join(dir, 'workspace'));
    const result = await call('write_ticket_digest', {}, context({ workspace }));
    expect(result).toEqual({
      written: true,
      file: 'digest-2025-06-16.md',
      counts: { date: TODAY, unresolved: 6, unresolved_by_priority: { urgent: 1, high: 2, normal: 2, low: 1 }, escalated: 1, opened_last_day: 3, updated_last_day: 2 },
    });
    const text = readFileSync(join(dir, 'workspace', 'files', 'digest-2025-06-16.md'), 'utf8');
    expect(text).toContain('- Unresolved tickets: 6 (urgent 1, high 2, normal 2, low 1)');
    expect(text).toContain('| urgent | 1 |');
    expect(text).toMatch(/## Escalated\n\n- \*\*T-302\*\* \(high, escalated\) C-1009 \/ ORD-2009: Sleeping bag never arrived\. Since 2025-06-15T16:40:00Z/);
    expect(text).toMatch(/## Updated in the last day\n\n- \*\*T-302\*\*[^\n]*\n- \*\*T-308\*\*[^\n]*\n\n/);
    expect(text).not.toContain('T-304'); // resolved weeks ago
  });

  it('counts tickets opened by the tools', async () => {
    await call('open_ticket', { customer_id: 'C-1005', subject: 'Maps will not open', body: 'PDF reader error', priority: 'urgent' });
    const { counts } = await call('write_ticket_digest', {}, context({ workspace: new LocalWorkspace(join(dir, 'workspace')) }));
    expect(counts).toMatchObject({ unresolved: 7, unresolved_by_priority: { urgent: 2 }, opened_last_day: 4 });
  });

  it('in an interactive run (no workspace), saves nothing and returns the text', async () => {
    const result = await call('write_ticket_digest', {});
    expect(result).toMatchObject({ written: false, counts: { unresolved: 6, escalated: 1 } });
    expect(result.markdown).toContain('# Support ticket digest, 2025-06-16');
  });
});

describe('readSupportConfig', () => {
  it('defaults the database to .omnicoreagent/support.db in the directory given, and pins today from SUPPORT_TODAY', () => {
    const config = readSupportConfig({ SUPPORT_TODAY: '2025-06-16' }, '/srv/app');
    expect(config.dbPath).toBe('/srv/app/.omnicoreagent/support.db');
    expect(config.clock.today()).toBe('2025-06-16');
    expect(readSupportConfig({ SUPPORT_DB_PATH: 'data/desk.db', SUPPORT_TODAY: '' }, '/srv/app').dbPath).toBe('/srv/app/data/desk.db');
  });

  it('tells a real day from a malformed one without throwing', () => {
    expect(['2024-02-29', '2025-06-16', '2025-12-31'].map(isCalendarDay)).toEqual([true, true, true]);
    expect(['2025-02-29', '2025-13-45', '2025-12-32', '2025-00-01', '9999-99-99'].map(isCalendarDay)).toEqual([false, false, false, false, false]);
  });

  it.each(['2025-02-30', '2025-13-45', '2025-00-10', '2025-6-16', '16/06/2025', 'tomorrow'])(
    'refuses SUPPORT_TODAY=%s, naming the variable, the value and the format',
    (today) => {
      expect(() => readSupportConfig({ SUPPORT_TODAY: today })).toThrow(
        `SUPPORT_TODAY must be a real date as YYYY-MM-DD, such as 2025-06-16; got "${today}"`,
      );
    },
  );
});
