import type { OmniServeConfig } from '../config/serve-config.ts';
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
  /** Streams still open; shutdown ends each with a terminal frame. */
  readonly openStreams: Set<{ close(reason: string): void }>;
}
