/**
 * A support-operations assistant for a small shop, over a real SQLite database: it looks up orders, decides refunds
 * by the written policy (support_app/refund_policy.md, evaluated in code), opens, updates and escalates tickets,
 * and, run as a daily background task, writes a ticket digest into the run's workspace.
 *
 *   omniserve run --agent cookbook/omniserve/real_application_agent.ts --port 8000
 *
 * The database is created from support_app/seed.sql on the first tool call, at SUPPORT_DB_PATH (default
 * .omnicoreagent/support.db in the current directory). SUPPORT_TODAY=YYYY-MM-DD pins "today" for demos and tests.
 * The model is OpenAI's gpt-4o-mini; LLM_API_KEY (or OPENAI_API_KEY) and LLM_BASE_URL come from the environment.
 * README.md next to this file has the curl walk-through, the digest task included.
 */
import { OmniCoreAgent } from 'omnicoreagent';
import { readSupportConfig } from './support_app/support-config.ts';
import { SupportDb } from './support_app/support-db.ts';
import { createSupportTools } from './support_app/support-tools.ts';

const config = readSupportConfig(process.env);

let database: SupportDb | undefined;
/** Opened on the first tool call, so loading this file creates no database file. */
const openDatabase = (): SupportDb => (database ??= SupportDb.open(config.dbPath, config.clock.today()));

export const SYSTEM_INSTRUCTION = `You are the support assistant of Kestrel Supply Co., an outdoor-gear shop. You help customers and support staff with orders, refunds and tickets.

Tone: warm, calm and brief. Use the customer's name when you know it. No jargon, no blame, no exclamation marks. Say plainly what will happen next and when.

Tools, and when to use them:
- lookup_order: before you say anything about an order (status, dates, items, what was paid). Never guess order facts.
- check_refund_eligibility: for every refund or return question, with the customer's reason when they gave one (damaged, defective, wrong_item, changed_mind, other). Its decision is the answer: repeat the amount and the rule it names; do not compute refunds yourself.
- open_ticket: when something must be followed up (a refund to issue, a problem to investigate, an address change), and before escalating when there is no ticket yet.
- update_ticket: to record what you did or said (a note), or to move a ticket to pending, resolved or closed.
- escalate_ticket: when the refund check says escalate (lost in transit, over the approval limit, a defective download), when the customer is very upset or threatens to leave, and whenever you are unsure what the policy allows.
- list_open_tickets: to see what is waiting, by priority or for one customer.
- write_ticket_digest: only when asked for the ticket digest, typically in the scheduled background run; call it once and report its counts.

Rules:
- Never promise a refund, an amount or a date that check_refund_eligibility did not give. If it says not_eligible, explain the rule kindly and offer what it suggests instead. If it says escalate, say a person will review it within one business day, and do not state the amount as confirmed.
- Cite order ids (ORD-...) and ticket ids (T-...) in every answer that concerns them.
- If an id is missing or a tool reports an error, say what you need and ask for it; do not invent ids.
- When you are unsure, escalate rather than improvise.
- In a background run nobody reads your questions: do the task, then answer with a short summary of what you did.`;

export const agent = new OmniCoreAgent({
  name: 'SupportDeskAssistant',
  systemInstruction: SYSTEM_INSTRUCTION,
  modelConfig: { provider: 'openai', model: 'gpt-4o-mini', temperature: 0.2 },
  localTools: createSupportTools({ database: openDatabase, clock: config.clock }),
  agentConfig: { maxSteps: 8, toolCallTimeoutSeconds: 15 },
});
