import type { BackgroundManager } from '../background/background-manager.ts';
import type { OmniServeConfig } from '../config/serve-config.ts';
import type { TelemetryRecorder } from '../telemetry/telemetry-recorder.ts';
import type { RunAdmission } from './admission/run-admission.ts';
import type { ServeMetrics } from './metrics/serve-metrics.ts';
import type { ServedAgent } from './served-agent.ts';

/** Mutable facts about this server process that routes read (uptime, readiness). */
export interface ServerState {
  startedAt: number;
  startupComplete: boolean;
  draining: boolean;
}

/** What every handler gets: nothing here depends on the HTTP framework. */
export interface ServeContext {
  readonly agent: ServedAgent;
  readonly config: OmniServeConfig;
  readonly state: ServerState;
  /** Run slots: routes that start a run hold one for the run's whole duration (a stream's too). */
  readonly admission: RunAdmission;
  /** This server's Prometheus metrics (its own registry). */
  readonly metrics: ServeMetrics;
  /** Records every run's events and traces (store, live feed, optional OTLP export). */
  readonly telemetry: TelemetryRecorder;
  /** Background agents, tasks and runs; null when `OMNICOREAGENT_BACKGROUND_ENABLED` is false (routes answer 503). */
  readonly background?: BackgroundManager | null;
  /** Streams still open; shutdown ends each with a terminal frame. */
  readonly openStreams: Set<{ close(reason: string): void }>;
}
