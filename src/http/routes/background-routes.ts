import type { z } from 'zod';
import type { BackgroundManager } from '../../background/background-manager.ts';
import {
  CreateTaskRequestSchema,
  ManualRunRequestSchema,
  PatchTaskRequestSchema,
  RegisterAgentRequestSchema,
  TaskSpecSchema,
  type BackgroundTask,
} from '../../background/background-records.ts';
import { isRunStatus, RUN_STATUSES } from '../../background/run-record.ts';
import { OmniError, type ErrorCode } from '../../core/errors.ts';
import { jsonRoute, type RouteDefinition } from '../route-definition.ts';
import type { ServeContext } from '../serve-context.ts';
import { toValidationDetails } from '../validation-detail.ts';
import {
  AgentParams,
  AgentSpecResponse,
  AgentsResponse,
  AttemptResponse,
  DeleteTaskQuery,
  ForceQuery,
  ManagerStatusResponse,
  RunEventsResponse,
  RunParams,
  RunResponse,
  RunsQuery,
  RunsResponse,
  RunWorkspaceResponse,
  StatusResponse,
  TaskParams,
  TasksQuery,
  TaskSpecResponse,
  TaskStatusResponse,
  TasksResponse,
} from './background-schemas.ts';

/** The manager, or 503 `Background execution is disabled` (the routes stay registered either way, spec 3.1). */
function background(context: ServeContext): BackgroundManager {
  if (!context.background) throw new OmniError('BACKGROUND_DISABLED', 'Background execution is disabled');
  return context.background;
}

const tags = ['background'];
const withDisabled = (...codes: ErrorCode[]): ErrorCode[] => [...codes, 'BACKGROUND_DISABLED'];
type P<T extends z.ZodType> = z.infer<T>;

export const backgroundStatusRoute = jsonRoute({
  kind: 'json', method: 'GET', path: '/background/status', tags, summary: 'Background scheduler and worker status',
  response: ManagerStatusResponse, errors: withDisabled(),
  handle: async (_input, context) => background(context).status(),
});

export const registerAgentRoute = jsonRoute<z.output<typeof RegisterAgentRequestSchema>>({
  kind: 'json', method: 'POST', path: '/background/agents', tags,
  summary: 'Register an agent for background tasks: the served agent (no spec) or one built from a spec',
  body: RegisterAgentRequestSchema, response: AgentSpecResponse, errors: withDisabled('CONFLICT', 'VALIDATION_FAILED'),
  handle: async ({ body }, context) => background(context).agents.register(body),
});

export const listAgentsRoute = jsonRoute({
  kind: 'json', method: 'GET', path: '/background/agents', tags, summary: 'Registered background agents',
  response: AgentsResponse, errors: withDisabled(),
  handle: async (_input, context) => background(context).agents.list(),
});

export const getAgentRoute = jsonRoute<undefined, undefined, P<typeof AgentParams>>({
  kind: 'json', method: 'GET', path: '/background/agents/:agent_id', tags, summary: 'One background agent',
  params: AgentParams, response: AgentSpecResponse, errors: withDisabled('NOT_FOUND'),
  handle: async ({ params }, context) => background(context).agents.get(params.agent_id),
});

export const deleteAgentRoute = jsonRoute<undefined, P<typeof ForceQuery>, P<typeof AgentParams>>({
  kind: 'json', method: 'DELETE', path: '/background/agents/:agent_id', tags,
  summary: 'Delete a background agent (409 with unfinished runs unless force); its tasks are paused',
  params: AgentParams, query: ForceQuery, response: StatusResponse('deleted'), errors: withDisabled('NOT_FOUND', 'CONFLICT'),
  handle: async ({ params, query }, context) => background(context).agents.delete(params.agent_id, query.force),
});

export const createTaskRoute = jsonRoute<z.output<typeof CreateTaskRequestSchema>>({
  kind: 'json', method: 'POST', path: '/background/tasks', tags, summary: 'Create (or with replace, replace) a background task',
  body: CreateTaskRequestSchema, response: TaskSpecResponse, errors: withDisabled('NOT_FOUND', 'CONFLICT', 'VALIDATION_FAILED'),
  handle: async ({ body }, context) => background(context).tasks.create(body),
});

export const listTasksRoute = jsonRoute<undefined, P<typeof TasksQuery>>({
  kind: 'json', method: 'GET', path: '/background/tasks', tags, summary: 'Background tasks, optionally of one agent',
  query: TasksQuery, response: TasksResponse, errors: withDisabled(),
  handle: async ({ query }, context) => background(context).tasks.list(query.agent_id ?? null),
});

export const getTaskRoute = jsonRoute<undefined, undefined, P<typeof TaskParams>>({
  kind: 'json', method: 'GET', path: '/background/tasks/:task_id', tags, summary: 'One background task',
  params: TaskParams, response: TaskSpecResponse, errors: withDisabled('NOT_FOUND'),
  handle: async ({ params }, context) => background(context).tasks.getRecord(params.task_id),
});

export const taskStatusRoute = jsonRoute<undefined, undefined, P<typeof TaskParams>>({
  kind: 'json', method: 'GET', path: '/background/tasks/:task_id/status', tags, summary: "A task's schedule state and run counts",
  params: TaskParams, response: TaskStatusResponse, errors: withDisabled('NOT_FOUND'),
  handle: async ({ params }, context) => background(context).tasks.status(params.task_id),
});

export const patchTaskRoute = jsonRoute<z.output<typeof PatchTaskRequestSchema>, undefined, P<typeof TaskParams>>({
  kind: 'json', method: 'PATCH', path: '/background/tasks/:task_id', tags,
  summary: 'Change some fields of a task (null counts as given); the whole task is validated again',
  params: TaskParams, body: PatchTaskRequestSchema, response: TaskSpecResponse, errors: withDisabled('NOT_FOUND', 'VALIDATION_FAILED'),
  async handle({ params, body }, context) {
    const manager = background(context);
    const existing = await manager.tasks.getRecord(params.task_id);
    const given = Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
    const merged = { ...existing, ...given };
    const parsed = TaskSpecSchema.safeParse(merged);
    if (!parsed.success) {
      throw new OmniError('VALIDATION_FAILED', 'Request validation failed', { detail: toValidationDetails('body', merged, parsed.error.issues) });
    }
    return manager.tasks.update(parsed.data as BackgroundTask);
  },
});

export const runTaskRoute = jsonRoute<z.output<typeof ManualRunRequestSchema>, undefined, P<typeof TaskParams>>({
  kind: 'json', method: 'POST', path: '/background/tasks/:task_id/run', tags,
  summary: 'Run a task now; with {"wait": true}, answer when it finishes (504 with its run_id past request_timeout - 0.25 s)',
  params: TaskParams, body: ManualRunRequestSchema, response: RunResponse, errors: withDisabled('NOT_FOUND', 'VALIDATION_FAILED', 'BACKGROUND_WAIT_TIMEOUT', 'CONFLICT'),
  async handle({ params, body, signal }, context) {
    const timeout = context.config.requestTimeout;
    // Spec 6.5: a quarter second under the request timeout, so this answer beats the generic one.
    const budgetMs = timeout > 0 ? Math.max(1, timeout * 1000 - 250) : null;
    return background(context).runs.trigger(params.task_id, body, { budgetMs, signal, requestTimeoutSeconds: timeout });
  },
});

const pauseRoute = (paused: boolean) =>
  jsonRoute<undefined, undefined, P<typeof TaskParams>>({
    kind: 'json', method: 'POST', path: `/background/tasks/:task_id/${paused ? 'pause' : 'resume'}`, tags,
    summary: paused ? "Pause a task's schedule" : "Resume a task's schedule (missed occurrences follow its misfire policy)",
    params: TaskParams, response: StatusResponse(paused ? 'paused' : 'resumed'), errors: withDisabled('NOT_FOUND'),
    handle: async ({ params }, context) => background(context).tasks.pause(params.task_id, paused),
  });
export const pauseTaskRoute = pauseRoute(true);
export const resumeTaskRoute = pauseRoute(false);

export const deleteTaskRoute = jsonRoute<undefined, P<typeof DeleteTaskQuery>, P<typeof TaskParams>>({
  kind: 'json', method: 'DELETE', path: '/background/tasks/:task_id', tags,
  summary: 'Delete a task (its unfinished runs are cancelled; delete_runs=true also removes its runs)',
  params: TaskParams, query: DeleteTaskQuery, response: StatusResponse('deleted'), errors: withDisabled('NOT_FOUND'),
  handle: async ({ params, query }, context) => background(context).tasks.delete(params.task_id, query.delete_runs),
});

export const listRunsRoute = jsonRoute<undefined, P<typeof RunsQuery>>({
  kind: 'json', method: 'GET', path: '/background/runs', tags, summary: 'Background runs, newest first',
  query: RunsQuery, response: RunsResponse, errors: withDisabled('VALIDATION_FAILED'),
  async handle({ query }, context) {
    const manager = background(context);
    const status = query.status ?? null;
    if (status !== null && !isRunStatus(status)) throw new OmniError('VALIDATION_FAILED', `'${status}' is not a valid BackgroundRunStatus (use one of: ${RUN_STATUSES.join(', ')})`);
    return manager.runs.list({ taskId: query.task_id ?? null, status, limit: query.limit });
  },
});

export const getRunRoute = jsonRoute<undefined, undefined, P<typeof RunParams>>({
  kind: 'json', method: 'GET', path: '/background/runs/:run_id', tags, summary: 'One background run',
  params: RunParams, response: RunResponse, errors: withDisabled('NOT_FOUND'),
  handle: async ({ params }, context) => background(context).runs.get(params.run_id),
});

export const runAttemptsRoute = jsonRoute<undefined, undefined, P<typeof RunParams>>({
  kind: 'json', method: 'GET', path: '/background/runs/:run_id/attempts', tags, summary: "A run's attempts",
  params: RunParams, response: AttemptResponse.array(), errors: withDisabled('NOT_FOUND'),
  handle: async ({ params }, context) => background(context).runs.attempts(params.run_id),
});

export const runEventsRoute = jsonRoute<undefined, undefined, P<typeof RunParams>>({
  kind: 'json', method: 'GET', path: '/background/runs/:run_id/events', tags, summary: "A run's lifecycle events, numbered 1..n",
  params: RunParams, response: RunEventsResponse, errors: withDisabled('NOT_FOUND'),
  handle: async ({ params }, context) => background(context).runs.events(params.run_id),
});

export const runWorkspaceRoute = jsonRoute<undefined, undefined, P<typeof RunParams>>({
  kind: 'json', method: 'GET', path: '/background/runs/:run_id/workspace', tags, summary: "Files in a run's workspace",
  params: RunParams, response: RunWorkspaceResponse, errors: withDisabled('NOT_FOUND', 'WORKSPACE_UNREACHABLE', 'WORKSPACE_REFUSED'),
  handle: async ({ params }, context) => background(context).runs.workspace(params.run_id),
});

export const cancelRunRoute = jsonRoute<undefined, undefined, P<typeof RunParams>>({
  kind: 'json', method: 'POST', path: '/background/runs/:run_id/cancel', tags,
  summary: 'Cancel a run: a queued one ends at once, a running one is aborted (its model call too)',
  params: RunParams, response: StatusResponse('cancel_requested'), errors: withDisabled('NOT_FOUND', 'CONFLICT'),
  handle: async ({ params }, context) => background(context).runs.cancel(params.run_id),
});

export const resumeRunRoute = jsonRoute<undefined, undefined, P<typeof RunParams>>({
  kind: 'json', method: 'POST', path: '/background/runs/:run_id/resume', tags, summary: 'Queue again a run awaiting approval or budget',
  params: RunParams, response: StatusResponse('queued'), errors: withDisabled('NOT_FOUND', 'CONFLICT'),
  handle: async ({ params }, context) => background(context).runs.resume(params.run_id),
});

/** Every `/background` route of spec 3.1, in table order. */
export const BACKGROUND_ROUTES: readonly RouteDefinition[] = [
  backgroundStatusRoute, registerAgentRoute, listAgentsRoute, getAgentRoute, deleteAgentRoute,
  createTaskRoute, listTasksRoute, getTaskRoute, taskStatusRoute, patchTaskRoute, runTaskRoute,
  pauseTaskRoute, resumeTaskRoute, deleteTaskRoute,
  listRunsRoute, getRunRoute, runAttemptsRoute, runEventsRoute, runWorkspaceRoute, cancelRunRoute, resumeRunRoute,
].map((route) => ({ ...route, available: (context: ServeContext) => void background(context) }));
