import { sqliteStoreError } from './errors';

/** The synchronous twin of an asynchronous interface: same methods, answers instead of promises. */
export type SyncOf<S> = {
  [K in keyof S]: S[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : never;
};

/**
 * Wraps SQLite's synchronous answers in the promises the store interfaces promise, so a server
 * database can implement them too; a throw becomes a rejection with a `StoreError`. `parts` are class
 * instances whose methods together make up `S` (their prototype methods are read, as classes do not
 * enumerate them).
 */
export function asyncOf<S>(...parts: object[]): S {
  const wrapped: Record<string, unknown> = {};
  for (const part of parts) {
    const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(part)).filter((name) => name !== 'constructor');
    for (const name of methods) {
      const method = (part as Record<string, unknown>)[name];
      if (typeof method !== 'function') continue;
      wrapped[name] = (...args: unknown[]) =>
        new Promise((resolve, reject) => {
          try {
            resolve((method as (...a: unknown[]) => unknown).apply(part, args));
          } catch (error) {
            reject(sqliteStoreError(error));
          }
        });
    }
  }
  return wrapped as S;
}
