import { describe, expect, it } from 'vitest';
import type { SessionStore, StoredMessage } from '../types.ts';

export interface SessionStoreHarness {
  /** A store over the backend; called twice in a test, both must see the same data (a second process). */
  open(): Promise<SessionStore>;
  /** Why data cannot outlive a store instance on this backend, or null when it can. */
  readonly notDurable: string | null;
}

const message = (role: string, content: unknown, i = 0): StoredMessage => ({ role, content, timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() });

/** The SessionStore contract, run unchanged against every backend. */
export function sessionStoreConformance(name: string, harness: () => SessionStoreHarness): void {
  describe(`SessionStore conformance: ${name}`, () => {
    it('has no history for a new session', async () => {
      const store = await harness().open();
      expect(await store.loadHistory(`new-${Math.random()}`)).toEqual([]);
    });

    it('returns appended messages in order, with their content (strings and part arrays) intact', async () => {
      const store = await harness().open();
      const id = `s-${Math.random()}`;
      const parts = [{ type: 'tool-call', toolCallId: 'c1', toolName: 'add', input: { a: 1, b: 2 } }];
      await store.appendMessages(id, [message('user', 'hello', 1), message('assistant', parts, 2)]);
      await store.appendMessages(id, [message('tool', [{ type: 'tool-result', toolCallId: 'c1', output: { type: 'json', value: 3 } }], 3)]);
      const history = await store.loadHistory(id);
      expect(history.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
      expect(history[0]).toEqual(message('user', 'hello', 1));
      expect(history[1]?.content).toEqual(parts);
    });

    it('keeps sessions apart and clears one without touching another', async () => {
      const store = await harness().open();
      const a = `a-${Math.random()}`;
      const b = `b-${Math.random()}`;
      await store.appendMessages(a, [message('user', 'for a')]);
      await store.appendMessages(b, [message('user', 'for b')]);
      await store.clearSession(a);
      expect(await store.loadHistory(a)).toEqual([]);
      expect((await store.loadHistory(b)).map((m) => m.content)).toEqual(['for b']);
    });

    it('keeps each batch contiguous when batches for one session are appended concurrently', async () => {
      const store = await harness().open();
      const id = `c-${Math.random()}`;
      await Promise.all(
        Array.from({ length: 10 }, (_, batch) =>
          store.appendMessages(id, [message('user', `q${batch}`), message('assistant', `a${batch}`)]),
        ),
      );
      const contents = (await store.loadHistory(id)).map((m) => String(m.content));
      expect(contents).toHaveLength(20);
      for (let i = 0; i < contents.length; i += 2) expect(contents[i + 1]).toBe(contents[i]!.replace('q', 'a'));
    });

    it('ignores an empty append', async () => {
      const store = await harness().open();
      const id = `e-${Math.random()}`;
      await store.appendMessages(id, []);
      expect(await store.loadHistory(id)).toEqual([]);
    });

    const durable = harness().notDurable;
    it.skipIf(durable !== null)(`shares history between store instances (another process)${durable === null ? '' : ` (skipped: ${durable})`}`, async () => {
      const first = await harness().open();
      const second = await harness().open();
      const id = `d-${Math.random()}`;
      await first.appendMessages(id, [message('user', 'written by the first')]);
      expect((await second.loadHistory(id)).map((m) => m.content)).toEqual(['written by the first']);
    });
  });
}
