/**
 * Indexes this layer made carry the collection's name and two underscores (`visits__patientId__score`,
 * `appointments__active_slot`); `defineCollection` holds explicit names to it. Anything else on a
 * collection (an operator's own index, `_id_`, SQLite's automatic ones) is theirs, never touched.
 */
export const isOurIndex = (collection: string, name: string): boolean => name.startsWith(`${collection}__`);

/** The default name of an index: the collection and each key path, `.` written as `_`. */
export const defaultIndexName = (collection: string, keys: string[], name?: string): string =>
  name ?? `${collection}__${keys.map((k) => k.replaceAll('.', '_')).join('__')}`.replace('___id', '__id');

export interface IndexPlan<D> {
  /** Declared indexes to build: missing ones, and changed ones after their old version is dropped. */
  create: D[];
  /** Our indexes to drop first: no longer declared, or declared differently. */
  drop: string[];
  /** Our indexes already as declared. */
  keep: string[];
}

/**
 * What boot must do so that the collection's indexes of ours are exactly the declared ones. `same` says
 * whether an existing index already is the declared one of that name.
 */
export function planIndexes<E extends { name: string }, D extends { name: string }>(
  collection: string,
  existing: E[],
  declared: D[],
  same: (existing: E, declared: D) => boolean,
): IndexPlan<D> {
  const plan: IndexPlan<D> = { create: [], drop: [], keep: [] };
  const wanted = new Map(declared.map((index) => [index.name, index]));
  const present = new Set<string>();
  for (const index of existing) {
    if (!isOurIndex(collection, index.name)) continue;
    present.add(index.name);
    const want = wanted.get(index.name);
    if (want && same(index, want)) plan.keep.push(index.name);
    else {
      plan.drop.push(index.name);
      if (want) plan.create.push(want);
    }
  }
  for (const index of declared) if (!present.has(index.name)) plan.create.push(index);
  return plan;
}
