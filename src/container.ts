import type { Config } from './config.ts';
import { openStore, type Store } from './db/index.ts';
import type { CollectionDef } from './db/types.ts';
import { type Clock, systemClock } from './shared/clock.ts';
import { createLogger, type Logger } from './shared/logger.ts';

/** Every collection the platform declares; the store creates them and their indexes at boot. */
export const collections: CollectionDef[] = [];

export interface Container {
  config: Config;
  logger: Logger;
  clock: Clock;
  store: Store;
  close(): Promise<void>;
}

export interface ContainerOverrides {
  logger?: Logger;
  clock?: Clock;
  store?: Store;
}

/** The composition root: store -> repositories -> services -> providers. Nothing else wires. */
export async function buildContainer(config: Config, overrides: ContainerOverrides = {}): Promise<Container> {
  const logger = overrides.logger ?? createLogger(config.LOG_LEVEL);
  const clock = overrides.clock ?? systemClock;
  const store =
    overrides.store ??
    (await openStore(config.DATABASE_URL, collections, { onNotice: (message) => logger.warn(message) }));

  return {
    config,
    logger,
    clock,
    store,
    async close() {
      await store.close();
    },
  };
}
