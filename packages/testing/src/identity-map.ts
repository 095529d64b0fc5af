/**
 * Which distinct ids are one person, per project token: `alias(newId, original)` joins
 * `newId` to `original`, so a query for either id finds the events of both. Links are
 * joined as sets (union-find), so chains and repeated links stay consistent and never loop.
 */
export class IdentityMap {
  // token -> id -> its parent id; an id without a parent is the root of its group.
  readonly #parents = new Map<string, Map<string, string>>();
  readonly #listeners = new Set<() => void>();

  /** Records that `alias` stands for `distinctId` in the project of `token`. */
  link(token: string, alias: string, distinctId: string): void {
    let parents = this.#parents.get(token);
    if (parents === undefined) {
      parents = new Map();
      this.#parents.set(token, parents);
    }
    const aliasRoot = this.canonical(token, alias);
    const originalRoot = this.canonical(token, distinctId);
    // The original's group absorbs the alias's: its root stays the canonical id.
    if (aliasRoot === originalRoot) return;
    parents.set(aliasRoot, originalRoot);
    this.#notify();
  }

  /**
   * Subscribes to changes of which ids are the same person (a new link, `clear()`): a query
   * by distinct id may match events it did not before. Returns the function that unsubscribes.
   */
  subscribe(listener: () => void): () => void {
    // A wrapper per subscription, so subscribing the same function twice needs two unsubscribes.
    const entry = (): void => listener();
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /** The id that stands for the whole group of `distinctId` (itself when never linked). */
  canonical(token: string, distinctId: string): string {
    const parents = this.#parents.get(token);
    let id = distinctId;
    // Terminates: every link joins two different roots, so parent chains have no cycle.
    for (let parent = parents?.get(id); parent !== undefined; parent = parents?.get(id)) {
      id = parent;
    }
    return id;
  }

  /** True when `a` and `b` name the same person in the project of `token`. */
  same(token: string, a: string, b: string): boolean {
    return a === b || this.canonical(token, a) === this.canonical(token, b);
  }

  /** Forgets every link. */
  clear(): void {
    this.#parents.clear();
    this.#notify();
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener();
      } catch (error) {
        // As in the event store: a broken listener must not fail the request that stored the
        // alias, nor starve the other listeners; rethrown on its own, it still surfaces.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
