import { afterAll, describe, it } from 'vitest';
import { openStores, type StoreBundle } from '../../src/app/open-stores.ts';
import { sessionStoreConformance } from '../../src/stores/conformance/session-store.conformance.ts';
import { MemorySessionStore } from '../../src/stores/memory/memory-session-store.ts';
import type { TaskStoreConfig } from '../../src/config/task-store-config.ts';
import { dropTestData } from '../support/drop-test-data.ts';
import { TEST_BACKENDS } from '../support/test-backends.ts';

const opened: StoreBundle[] = [];
const used: TaskStoreConfig[] = [];
afterAll(async () => {
  await Promise.all(opened.map((bundle) => bundle.close()));
  await Promise.all(used.map((config) => dropTestData(config)));
});

for (const backend of TEST_BACKENDS) {
  if (backend.skip !== null) {
    describe(`SessionStore conformance: ${backend.name}`, () => {
      it.skip(`whole suite (skipped: ${backend.skip})`, () => undefined);
    });
    continue;
  }
  if (backend.name === 'memory') {
    sessionStoreConformance('memory', () => ({ open: async () => new MemorySessionStore(), notDurable: 'the in-memory store lives in one process' }));
    continue;
  }
  const config = backend.config();
  used.push(config);
  sessionStoreConformance(backend.name, () => ({
    notDurable: null,
    open: async () => {
      const bundle = await openStores(config);
      opened.push(bundle);
      return bundle.sessions!;
    },
  }));
}
