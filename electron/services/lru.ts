/**
 * A map that holds at most `capacity` entries and drops the least recently used one past that.
 * The main process lives as long as the app is open; anything it keeps per request must be
 * bounded, or a long reading session grows until the machine swaps.
 */
export class LruMap<K, V> {
  // A Map iterates in insertion order, so re-inserting on use keeps the oldest use first.
  private readonly entries = new Map<K, V>();

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`an LRU map needs a capacity of at least 1, not ${capacity}`);
  }

  /** The value, marked as just used; undefined when absent or dropped. */
  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.capacity) break;
      this.entries.delete(oldest);
    }
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The values, least recently used first, without marking them used. */
  values(): IterableIterator<V> {
    return this.entries.values();
  }
}
