import { describeTelemetryStoreConformance } from '../../src/stores/conformance/telemetry-store.conformance.ts';
import { MemoryTelemetryStore } from '../../src/stores/memory/memory-telemetry-store.ts';

// One line per adapter; the durable adapters (SQL, Redis, MongoDB) join this list and must pass it unchanged.
describeTelemetryStoreConformance('memory', async (retention) => new MemoryTelemetryStore(retention));
