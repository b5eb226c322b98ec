import type { RouteDefinition } from '../route-definition.ts';
import { healthRoute, metricsRoute, readyRoute, toolsRoute } from './info-routes.ts';
import { runStreamRoute, runSyncRoute } from './run-routes.ts';
import { clearSessionRoute, sessionHistoryRoute } from './session-routes.ts';

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
];
