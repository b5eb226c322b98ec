/**
 * cookbook/omniserve/support_app/scripted-model.json, the replies the scripted server gives the support app in the
 * README's key-free walk-through, played against the real tools in order (as the agent would call them) on a fresh
 * database on the seed day: every call must pass its tool's schema, and every scripted answer must say what the
 * tools answered, so the demo cannot drift from the data.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedDayClock } from '../../cookbook/omniserve/support_app/support-clock.ts';
import { SupportDb } from '../../cookbook/omniserve/support_app/support-db.ts';
import { createSupportTools } from '../../cookbook/omniserve/support_app/support-tools.ts';
import type { ToolContext } from '../../src/agent/tool-registry.ts';
import { readScript } from '../../src/testing/scripted-reply-file.ts';
import type { ScriptedReply } from '../../src/testing/scripted-reply.ts';
import { LocalWorkspace } from '../../src/workspace/local-workspace.ts';
import { ScopedWorkspace } from '../../src/workspace/scoped-workspace.ts';

const SCRIPT = new URL('../../cookbook/omniserve/support_app/scripted-model.json', import.meta.url).pathname;
const TODAY = '2025-06-16';

let dir: string;
let db: SupportDb | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'support-script-'));
  db = undefined;
});
afterEach(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Plays the script: each tool-call reply runs its tools; each text reply is returned with the results before it. */
async function play(replies: readonly ScriptedReply[]): Promise<{ text: string; results: Record<string, any> }[]> {
  const tools = createSupportTools({ database: () => (db ??= SupportDb.open(join(dir, 'support.db'), TODAY)), clock: fixedDayClock(TODAY) });
  const answers: { text: string; results: Record<string, any> }[] = [];
  let results: Record<string, any> = {};
  for (const reply of replies) {
    if ('toolCalls' in reply) {
      // The second half of the script is the digest task's background run, which has a workspace.
      const workspace = reply.toolCalls.some((call) => call.name === 'write_ticket_digest')
        ? { workspace: new ScopedWorkspace(new LocalWorkspace(join(dir, 'workspace')), 'background/default/ticket-digest/run_demo') }
        : {};
      for (const call of reply.toolCalls) {
        const tool = tools.get(call.name);
        expect(tool, call.name).toBeDefined();
        const checked = tool!.checkArguments(typeof call.arguments === 'string' ? JSON.parse(call.arguments) : call.arguments);
        expect(checked.ok, `${call.name}: ${JSON.stringify(checked)}`).toBe(true);
        const context: ToolContext = { signal: new AbortController().signal, sessionId: 'maya', runId: 'run_demo', ...workspace };
        if (checked.ok) results[call.name] = await tool!.execute(checked.value, context);
      }
    } else if ('text' in reply) {
      answers.push({ text: reply.text, results });
      results = {};
    }
  }
  return answers;
}

describe('the support app demo script', () => {
  it('calls the tools with valid arguments, and its answers state what the tools returned', async () => {
    const replies = await readScript(SCRIPT);
    const [refund, digest] = await play(replies);
    expect(Object.keys(refund!.results)).toEqual(['lookup_order', 'check_refund_eligibility', 'open_ticket']);
    const decision = refund!.results['check_refund_eligibility'];
    expect(decision).toMatchObject({ order_id: 'ORD-2001', decision: 'eligible', rule: 'full_refund', policy_section: '7', days_since_delivery: 10 });
    const ticket = refund!.results['open_ticket'].ticket.ticket_id;
    for (const fact of [`USD ${decision.refund_amount}`, decision.rule, `policy section ${decision.policy_section}`, '10 days', ticket]) {
      expect(refund!.text).toContain(fact);
    }

    const { written, file, counts } = digest!.results['write_ticket_digest'];
    expect(written).toBe(true);
    const byPriority = counts.unresolved_by_priority;
    const claimed = `${file}: ${counts.unresolved} unresolved tickets (urgent ${byPriority.urgent}, high ${byPriority.high}, normal ${byPriority.normal}, ` +
      `low ${byPriority.low}), ${counts.escalated} escalated, ${counts.opened_last_day} opened (${ticket} among them) and ${counts.updated_last_day} updated`;
    expect(digest!.text).toContain(claimed);
  });
});
