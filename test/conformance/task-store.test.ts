import { describeTaskStoreConformance } from '../../src/stores/conformance/task-store.conformance.ts';
import { MemoryTaskStore } from '../../src/stores/memory/memory-task-store.ts';

// Every adapter gets one line here (issue 6 adds SQL, Redis and MongoDB factories).
describeTaskStoreConformance(
  'memory',
  async () => {
    const store = new MemoryTaskStore();
    return { store, peer: async () => store, dispose: () => store.close() };
  },
  { skip: { durability: 'the in-memory store keeps nothing across a restart' }, parallelism: 32 },
);
