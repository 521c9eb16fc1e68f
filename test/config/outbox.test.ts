import { expect, test } from 'bun:test';
import { loadConfig } from '../../src/config.ts';
import { tempDir } from '../support/temp-dirs.ts';

const base = () => ({ DATA_DIR: tempDir('hv-cfg-') });

test('OUTBOX_* settings: defaults, and a max retry delay below the base is refused', () => {
  const config = loadConfig(base());
  expect([
    config.OUTBOX_POLL_SECONDS,
    config.OUTBOX_LEASE_SECONDS,
    config.OUTBOX_RETRY_BASE_SECONDS,
    config.OUTBOX_RETRY_MAX_SECONDS,
    config.OUTBOX_MAX_ATTEMPTS,
    config.OUTBOX_KEEP_DAYS,
  ]).toEqual([5, 60, 30, 3600, 8, 7]);
  expect(() =>
    loadConfig({ ...base(), OUTBOX_RETRY_BASE_SECONDS: '600', OUTBOX_RETRY_MAX_SECONDS: '60' }),
  ).toThrow('OUTBOX_RETRY_MAX_SECONDS');
});
