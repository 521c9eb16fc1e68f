/** Time-sortable string ids, the same on every engine. */
export const newId = (): string => Bun.randomUUIDv7();

export const ID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
