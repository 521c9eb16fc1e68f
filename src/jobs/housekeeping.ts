import type { Clock } from '../shared/clock.ts';
import type { Logger } from '../shared/logger.ts';

/** One kind of record that outlives its use (expired sessions, ended rate-limit windows...). */
export interface Purge {
  name: string;
  run(now: Date): Promise<number>;
}

/** Deletes every kind of expired record; one failing kind does not stop the others. */
export async function purgeExpiredRecords(
  purges: Purge[],
  clock: Clock,
  logger: Logger,
): Promise<Record<string, number>> {
  const now = clock.now();
  const removed: Record<string, number> = {};
  for (const purge of purges) {
    try {
      removed[purge.name] = await purge.run(now);
    } catch (error) {
      logger.error('purge failed', {
        purge: purge.name,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  if (Object.values(removed).some((n) => n > 0)) logger.info('purged expired records', removed);
  return removed;
}
