/**
 * Tables keyed by ids that come from outside (device ids, versions) as null-prototype objects:
 * an id such as `constructor`, `toString` or `__proto__` is then an ordinary key, never an
 * inherited property read by mistake (a missing `constructor` entry would otherwise read as
 * Object's constructor) nor a prototype assignment. JSON documents parse into plain objects, so
 * each id-keyed table is passed through here when a document is opened.
 */
export function idTable<T>(from?: Readonly<Record<string, T>>): Record<string, T> {
  const table = Object.create(null) as Record<string, T>;
  if (from) for (const key of Object.keys(from)) table[key] = from[key]!;
  return table;
}
