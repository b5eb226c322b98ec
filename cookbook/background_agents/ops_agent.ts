/**
 * An operations assistant that works in the background: OmniServe runs it on schedules (an interval task and a
 * cron task in a time zone, see README.md) and keeps every run's status, attempts, events and files.
 *
 *   omniserve run --agent cookbook/background_agents/ops_agent.ts --port 8000
 *
 * The model is OpenAI's gpt-4o-mini; LLM_API_KEY (or OPENAI_API_KEY) and LLM_BASE_URL come from the environment.
 */
import { OmniCoreAgent, ToolRegistry } from 'omnicoreagent';
import { z } from 'zod';

/** The local time in an IANA time zone, so a scheduled report can say when it was written. */
export function localTime({ timezone }: { timezone: string }) {
  const now = new Date();
  const text = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, dateStyle: 'full', timeStyle: 'long' }).format(now);
  return { timezone, utc: now.toISOString(), local: text };
}

const tools = new ToolRegistry().register({
  name: 'local_time',
  description: 'The current date and time in an IANA time zone such as Europe/Paris or America/New_York.',
  inputSchema: z.object({ timezone: z.string().describe('IANA time zone name') }),
  execute: localTime,
});

export const agent = new OmniCoreAgent({
  name: 'OpsAssistant',
  systemInstruction: [
    'You write short operational notes for a team. You run unattended: never ask questions, make reasonable',
    'assumptions and say which. Use the local_time tool when the note needs the date or time. Answer in at most',
    'five bullet points.',
  ].join(' '),
  modelConfig: { provider: 'openai', model: 'gpt-4o-mini', temperature: 0.2 },
  localTools: tools,
  agentConfig: { maxSteps: 4 },
});
