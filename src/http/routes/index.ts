import type { RouteDefinition } from '../route-definition.ts';
import { BACKGROUND_ROUTES } from './background-routes.ts';
import { healthRoute, metricsRoute, readyRoute, toolsRoute } from './info-routes.ts';
import { runStreamRoute, runSyncRoute } from './run-routes.ts';
import { sessionEventListRoute, sessionEventStreamRoute, sessionTraceRoute } from './event-routes.ts';
import { clearSessionRoute, sessionHistoryRoute } from './session-routes.ts';
import {
  telemetryEventStreamRoute,
  telemetryEventsRoute,
  telemetryRunTraceRoute,
  telemetrySessionTraceRoute,
  telemetryTraceRoute,
  telemetryTracesRoute,
} from './telemetry-routes.ts';

/** Every API route, in the order the OpenAPI document lists them. */
export const API_ROUTES: readonly RouteDefinition[] = [
  healthRoute,
  readyRoute,
  runStreamRoute,
  runSyncRoute,
  toolsRoute,
  metricsRoute,
  sessionHistoryRoute,
  clearSessionRoute,
  sessionEventStreamRoute,
  sessionEventListRoute,
  sessionTraceRoute,
  telemetryEventsRoute,
  telemetryEventStreamRoute,
  telemetryTracesRoute,
  telemetryTraceRoute,
  telemetryRunTraceRoute,
  telemetrySessionTraceRoute,
  ...BACKGROUND_ROUTES,
];
