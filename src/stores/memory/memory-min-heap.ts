/** A binary min-heap ordered by `key`, then `seq`, then `id`, for the memory stores' due-time queues. */
export interface HeapEntry {
  readonly key: string;
  readonly id: string;
  /** Breaks ties before `id` (insertion order). */
  readonly seq?: number;
}

export class MemoryMinHeap<T extends HeapEntry> {
  readonly #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  /** The items whose key is at most `key`, in no particular order (a heap walk that skips larger subtrees). */
  *upTo(key: string): Generator<T> {
    const items = this.#items;
    const stack = items.length > 0 ? [0] : [];
    for (let index = stack.pop(); index !== undefined; index = stack.pop()) {
      const item = items[index] as T;
      if (item.key > key) continue;
      yield item;
      const left = index * 2 + 1;
      if (left < items.length) stack.push(left);
      if (left + 1 < items.length) stack.push(left + 1);
    }
  }

  push(item: T): void {
    const items = this.#items;
    items.push(item);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!less(items[index] as T, items[parent] as T)) break;
      [items[index], items[parent]] = [items[parent] as T, items[index] as T];
      index = parent;
    }
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let index = 0;
      for (;;) {
        const left = index * 2 + 1;
        const right = left + 1;
        let smallest = index;
        if (left < items.length && less(items[left] as T, items[smallest] as T)) smallest = left;
        if (right < items.length && less(items[right] as T, items[smallest] as T)) smallest = right;
        if (smallest === index) break;
        [items[index], items[smallest]] = [items[smallest] as T, items[index] as T];
        index = smallest;
      }
    }
    return top;
  }
}

function less(a: HeapEntry, b: HeapEntry): boolean {
  if (a.key !== b.key) return a.key < b.key;
  if (a.seq !== b.seq) return (a.seq ?? 0) < (b.seq ?? 0);
  return a.id < b.id;
}
