/**
 * The store `store`, but each method named in `writes` calls `onWrite` once its promise resolved:
 * how the operator page learns that something it shows has changed, without every caller of the
 * store having to say so. A write that rejects changed nothing, so it notifies no one.
 */
export function notifyOnWrite<S extends object>(store: S, writes: ReadonlyArray<keyof S>, onWrite: () => void): S {
  // Everything else is the store's own, through the prototype chain (class methods included).
  const wrapped = Object.create(store) as S;
  for (const name of writes) {
    const method = store[name];
    if (typeof method !== 'function') throw new TypeError(`${String(name)} is not a method of the store`);
    const write = method as (...args: unknown[]) => Promise<unknown>;
    (wrapped as Record<keyof S, unknown>)[name] = async (...args: unknown[]) => {
      const result = await write.apply(store, args);
      onWrite();
      return result;
    };
  }
  return wrapped;
}
