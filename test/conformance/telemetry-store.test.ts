import { afterAll, describe, it } from 'vitest';
import { openStores } from '../../src/app/open-stores.ts';
import type { TaskStoreConfig } from '../../src/config/task-store-config.ts';
import { describeTelemetryStoreConformance } from '../../src/stores/conformance/telemetry-store.conformance.ts';
import { MemoryTelemetryStore } from '../../src/stores/memory/memory-telemetry-store.ts';
import type { TelemetryStore } from '../../src/stores/types.ts';
import { dropTestData } from '../support/drop-test-data.ts';
import { TEST_BACKENDS } from '../support/test-backends.ts';

// Every store the suite opens starts empty: each gets a config (prefix, or SQLite file) of its own, all removed at the end.
const used: TaskStoreConfig[] = [];
afterAll(async () => {
  await Promise.all(used.map((config) => dropTestData(config)));
});

for (const backend of TEST_BACKENDS) {
  if (backend.skip !== null) {
    describe(`TelemetryStore conformance: ${backend.name}`, () => {
      it.skip(`whole suite (skipped: ${backend.skip})`, () => undefined);
    });
    continue;
  }
  if (backend.name === 'memory') {
    describeTelemetryStoreConformance('memory', async (retention) => new MemoryTelemetryStore(retention));
    continue;
  }
  describeTelemetryStoreConformance(backend.name, async (retention) => {
    const config = backend.config();
    used.push(config);
    const bundle = await openStores(config, retention === undefined ? {} : { telemetryRetention: retention });
    const store = bundle.telemetry as TelemetryStore;
    // The suite closes each store it opened; here that closes its whole bundle (the connection with it).
    const closing: TelemetryStore = {
      appendEvent: (event) => store.appendEvent(event),
      readEvents: (query) => store.readEvents(query),
      latestCursor: (sessionId) => store.latestCursor(sessionId),
      saveTrace: (trace) => store.saveTrace(trace),
      appendEvents: (events, trace) => store.appendEvents(events, trace),
      getTrace: (traceId) => store.getTrace(traceId),
      findTraces: (query) => store.findTraces(query),
      close: () => bundle.close(),
    };
    return closing;
  });
}
