import type { z } from 'zod';
import { jsonRoute } from '../route-definition.ts';
import { SessionClearedResponse, SessionHistoryResponse, SessionParams } from '../wire-schemas.ts';

type Params = z.infer<typeof SessionParams>;

export const sessionHistoryRoute = jsonRoute<undefined, undefined, Params>({
  kind: 'json',
  method: 'GET',
  path: '/sessions/:session_id/history',
  summary: "A session's conversation",
  tags: ['sessions'],
  params: SessionParams,
  response: SessionHistoryResponse,
  errors: ['VALIDATION_FAILED'],
  async handle({ params }, { agent }) {
    const messages = await agent.history(params.session_id);
    return { session_id: params.session_id, messages, count: messages.length };
  },
});

export const clearSessionRoute = jsonRoute<undefined, undefined, Params>({
  kind: 'json',
  method: 'DELETE',
  path: '/sessions/:session_id',
  summary: "Forget a session's conversation",
  tags: ['sessions'],
  params: SessionParams,
  response: SessionClearedResponse,
  errors: ['VALIDATION_FAILED'],
  async handle({ params }, { agent }) {
    await agent.clearHistory(params.session_id);
    return { status: 'cleared', session_id: params.session_id };
  },
});
