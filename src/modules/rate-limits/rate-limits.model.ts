import { type Static, Type } from '@sinclair/typebox';
import { defineCollection } from '../../db/index.ts';

/**
 * The sliding log of one counter, e.g. `login:ip:203.0.113.7`: the instants of the hits it let through
 * within the last window, oldest first. `version` makes every hit a conditional write, so instances
 * sharing the store never both take the last place; `windowEndsAt` is when the newest hit leaves the
 * window, after which the log counts nothing and housekeeping deletes it.
 */
export const RateLimitDoc = Type.Object(
  {
    _id: Type.String({ description: '<rule name>:<subject>' }),
    hits: Type.Array(Type.Date(), { maxItems: 1000 }),
    version: Type.Integer({ minimum: 0 }),
    windowEndsAt: Type.Date(),
  },
  { additionalProperties: false },
);
export type RateLimitDoc = Static<typeof RateLimitDoc>;

export const RateLimits = defineCollection({
  name: 'rate_limits',
  schema: RateLimitDoc,
  indexes: [{ keys: { windowEndsAt: 1 } }],
});

export interface RateLimitRule {
  /** Names the counter in keys and logs, e.g. `login:ip`. */
  name: string;
  /** Most hits let through in any rolling window of `windowSeconds`; at most 1000. */
  limit: number;
  windowSeconds: number;
}
