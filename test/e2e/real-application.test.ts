/**
 * End to end: `omniserve run --agent cookbook/omniserve/real_application_agent.ts` as a child process, against the
 * scripted model in this process, with its own SQLite file and workspace directory per test and "today" pinned to
 * the seed anchor (SUPPORT_TODAY), so every expected value below comes from seed.sql and refund_policy.md.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ScriptedOpenAIServer, type ChatCompletionMessage, type RecordedRequest } from '../../src/testing/scripted-openai-server.ts';
import { REPO_ROOT, postJson, startServing, stopAllClis } from './spawn-cli.ts';

const AGENT_FILE = join(REPO_ROOT, 'cookbook/omniserve/real_application_agent.ts');
const TODAY = '2025-06-16';

interface RunBody {
  readonly response: string | null;
  readonly agent_name: string;
  readonly session_id: string;
  readonly status?: string;
}

const chats = (model: ScriptedOpenAIServer): RecordedRequest[] => model.requests.filter((r) => r.path === '/v1/chat/completions');

/** The tool results the model received in a request, by tool call id, parsed when they are JSON. */
function toolResults(request: RecordedRequest | undefined): Map<string, any> {
  const messages: readonly ChatCompletionMessage[] = request?.body?.messages ?? [];
  return new Map(
    messages
      .filter((m) => m.role === 'tool')
      .map((m) => {
        const text = String(m.content);
        try {
          return [String(m['tool_call_id']), JSON.parse(text)];
        } catch {
          return [String(m['tool_call_id']), text];
        }
      }),
  );
}

describe('cookbook/omniserve/real_application_agent.ts served by the CLI', () => {
  let model: ScriptedOpenAIServer;
  let dir: string;
  let dbPath: string;
  let workspaceDir: string;
  let baseUrl: string;

  beforeAll(async () => {
    model = await ScriptedOpenAIServer.start();
  });
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'support-app-e2e-'));
    dbPath = join(dir, 'support.db');
    workspaceDir = join(dir, 'workspace');
    ({ baseUrl } = await startServing(['run', '--agent', AGENT_FILE], {
      env: {
        LLM_BASE_URL: model.baseUrl,
        LLM_API_KEY: 'test',
        SUPPORT_DB_PATH: dbPath,
        SUPPORT_TODAY: TODAY,
        OMNICOREAGENT_WORKSPACE_DIR: workspaceDir,
      },
    }));
  });
  afterEach(async () => {
    await stopAllClis();
    model.reset();
    rmSync(dir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await stopAllClis();
    await model.close();
  });

  it('a refund question: the model gets the policy decision for the seeded order, and /run/sync returns its answer', async () => {
    const answer = 'Maya, order ORD-2001 qualifies for a full refund of USD 189.00 (rule full_refund).';
    model.enqueue(
      { toolCalls: [{ id: 'call_refund', name: 'check_refund_eligibility', arguments: { order_id: 'ORD-2001', reason: 'changed_mind' } }] },
      { text: answer },
    );
    const reply = await postJson(baseUrl, '/run/sync', { query: 'Can I return the tent from ORD-2001? Never opened it.', session_id: 'maya' });
    expect(reply.status).toBe(200);
    expect(await reply.json()).toMatchObject({ response: answer, agent_name: 'SupportDeskAssistant', session_id: 'maya', status: 'success' });

    const [first, second] = chats(model);
    expect(chats(model)).toHaveLength(2);
    expect(first!.body?.model).toBe('gpt-4o-mini');
    const system = first!.body?.messages?.find((m) => m.role === 'system');
    expect(String(system?.content)).toContain('Never promise a refund');
    const offered = (first!.body?.tools ?? []).map((t) => (t as { function: { name: string } }).function.name);
    expect(offered).toEqual(['lookup_order', 'check_refund_eligibility', 'open_ticket', 'update_ticket', 'escalate_ticket', 'list_open_tickets', 'write_ticket_digest']);

    // Delivered 2025-06-06, unopened: inside the 30-day window, full price, shipping kept (no fault).
    expect(toolResults(second).get('call_refund')).toMatchObject({
      order_id: 'ORD-2001', decision: 'eligible', rule: 'full_refund', policy_section: '7', refund_amount: '189.00', shipping_refund: '0.00',
      currency: 'USD', days_since_delivery: 10, evaluated_on: TODAY, items: [{ sku: 'TENT-2P', refund: '189.00', rule: 'unopened' }],
    });
  });

  it('not eligible: past the window, a downloaded course, and an unknown order id the model can correct', async () => {
    model.enqueue(
      {
        toolCalls: [
          { id: 'call_late', name: 'check_refund_eligibility', arguments: { order_id: 'ORD-2013' } },
          { id: 'call_digital', name: 'check_refund_eligibility', arguments: { order_id: 'ORD-2004', reason: 'changed_mind' } },
          { id: 'call_unknown', name: 'check_refund_eligibility', arguments: { order_id: 'ORD-9999' } },
          { id: 'call_malformed', name: 'lookup_order', arguments: { order_id: '2013' } },
        ],
      },
      { text: 'ORD-2013 is past the 30-day window and the ORD-2004 course was downloaded, so neither can be refunded.' },
    );
    const reply = await postJson(baseUrl, '/run/sync', { query: 'Refund ORD-2013 and ORD-2004 please' });
    expect(reply.status).toBe(200);
    expect(((await reply.json()) as RunBody).response).toContain('neither can be refunded');

    const results = toolResults(chats(model)[1]);
    // Delivered 2025-05-16: 31 days before today, one day past the window.
    expect(results.get('call_late')).toMatchObject({ decision: 'not_eligible', rule: 'outside_window', days_since_delivery: 31, refund_amount: '0.00' });
    expect(results.get('call_digital')).toMatchObject({ decision: 'not_eligible', rule: 'digital_downloaded', policy_section: '4.4' });
    expect(results.get('call_unknown')).toMatch(/^Error: Tool "check_refund_eligibility" failed: no order ORD-9999; ask the customer/);
    expect(results.get('call_malformed')).toMatch(/^Error: Tool "lookup_order" got invalid arguments: order_id: order ids look like ORD-2001/);
  });

  it('open_ticket writes a row to the SQLite file, and a follow-up lookup shows it', async () => {
    model.enqueue(
      {
        toolCalls: [
          {
            id: 'call_open',
            name: 'open_ticket',
            arguments: { order_id: 'ORD-2003', subject: 'Partial refund for ORD-2003', body: 'Opened boots, changed mind: 69.50 under partial_refund.', priority: 'normal' },
          },
        ],
      },
      { toolCalls: [{ id: 'call_lookup', name: 'lookup_order', arguments: { order_id: 'ORD-2003' } }] },
      { text: 'I opened T-309 for your refund of USD 69.50 on ORD-2003.' },
    );
    const reply = await postJson(baseUrl, '/run/sync', { query: 'Please start the refund for my boots, ORD-2003.' });
    expect(reply.status).toBe(200);
    expect(((await reply.json()) as RunBody).response).toContain('T-309');

    const requests = chats(model);
    expect(requests).toHaveLength(3);
    expect(toolResults(requests[1]).get('call_open')).toMatchObject({
      ticket: { ticket_id: 'T-309', customer_id: 'C-1003', order_id: 'ORD-2003', status: 'open', priority: 'normal' },
      other_unresolved_tickets: [{ ticket_id: 'T-301', subject: 'Boots rub at the heel', status: 'open' }],
    });
    const lookup = toolResults(requests[2]).get('call_lookup');
    expect(lookup.tickets.map((t: { ticket_id: string }) => t.ticket_id)).toEqual(['T-301', 'T-309']);

    const file = new Database(dbPath, { readonly: true });
    try {
      const row = file.prepare('SELECT customer_id, order_id, subject, status, priority, created_at FROM tickets WHERE ticket_id = 309').get() as Record<string, string>;
      expect(row).toMatchObject({ customer_id: 'C-1003', order_id: 'ORD-2003', subject: 'Partial refund for ORD-2003', status: 'open', priority: 'normal' });
      expect(row['created_at']).toMatch(/^2025-06-16T\d{2}:\d{2}:\d{2}Z$/);
      expect(file.prepare('SELECT count(*) AS n FROM tickets').get()).toEqual({ n: 9 });
    } finally {
      file.close();
    }
  });

  it('the daily digest as a background task: run now, then the workspace lists digest-<date>.md with the seed counts', async () => {
    // The README schedules it at 08:00; here the hour is 12 hours away, so the schedule cannot fire mid-test and
    // take the scripted replies meant for the manual run.
    const hour = (new Date().getUTCHours() + 12) % 24;
    const created = await postJson(baseUrl, '/background/tasks', {
      task_id: 'ticket-digest',
      query: 'Write the daily ticket digest with write_ticket_digest, then summarize the counts in one line.',
      schedule: { type: 'cron', expression: `0 ${hour} * * *`, timezone: 'UTC' },
      timeout_seconds: 120,
    });
    expect(created.status).toBe(200);
    expect(await created.json()).toMatchObject({ task_id: 'ticket-digest', agent_id: 'default', enabled: true });

    const summary = '6 unresolved tickets (1 urgent, 2 high, 2 normal, 1 low), 1 escalated; digest saved.';
    model.enqueue({ toolCalls: [{ id: 'call_digest', name: 'write_ticket_digest', arguments: {} }] }, { text: summary });
    const ran = await postJson(baseUrl, '/background/tasks/ticket-digest/run', { wait: true });
    expect(ran.status).toBe(200);
    const run = (await ran.json()) as { run_id: string; status: string; result_preview: string; workspace_path: string };
    expect(run).toMatchObject({ status: 'completed', result_preview: summary });

    // The background run's query carries the run context; the tool reported the counts to the model.
    const requests = chats(model);
    expect(requests).toHaveLength(2);
    const user = requests[0]!.body?.messages?.find((m) => m.role === 'user');
    expect(String(user?.content)).toContain(`run_id: ${run.run_id}`);
    expect(toolResults(requests[1]).get('call_digest')).toEqual({
      written: true,
      file: `digest-${TODAY}.md`,
      counts: { date: TODAY, unresolved: 6, unresolved_by_priority: { urgent: 1, high: 2, normal: 2, low: 1 }, escalated: 1, opened_last_day: 3, updated_last_day: 2 },
    });

    const listing = await fetch(`${baseUrl}/background/runs/${run.run_id}/workspace`);
    expect(listing.status).toBe(200);
    const workspace = (await listing.json()) as { workspace_path: string; files: { path: string; is_dir: boolean }[] };
    expect(workspace.workspace_path).toBe(run.workspace_path);
    expect(workspace.files.map((f) => f.path)).toContain(`digest-${TODAY}.md`);

    const text = readFileSync(join(workspaceDir, 'files', run.workspace_path, `digest-${TODAY}.md`), 'utf8');
    expect(text).toContain(`# Support ticket digest, ${TODAY}`);
    expect(text).toContain('- Unresolved tickets: 6 (urgent 1, high 2, normal 2, low 1)');
    expect(text).toContain('- Escalated: 1');
    expect(text).toContain('- Opened in the last day: 3');
    expect(text).toContain('- Updated in the last day: 2');
    expect(text).toContain('**T-302** (high, escalated) C-1009 / ORD-2009: Sleeping bag never arrived');
  });
});
