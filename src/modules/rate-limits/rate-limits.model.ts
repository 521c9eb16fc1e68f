import { type Static, Type } from '@sinclair/typebox';
import { defineCollection } from '../../db/index.ts';

/** One fixed window of one counter, e.g. `login:ip:203.0.113.7` for the minute starting at `windowStart`. */
export const RateLimitDoc = Type.Object(
  {
    _id: Type.String({ description: '<key>@<window start, epoch ms>' }),
    key: Type.String(),
    count: Type.Integer({ minimum: 0 }),
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
  limit: number;
  windowSeconds: number;
}
