import { expect, test } from 'bun:test';
import { loadConfig } from '../../src/config.ts';
import { tempDir } from '../support/temp-dirs.ts';

const base = () => ({ DATA_DIR: tempDir('hv-cfg-') });

test('report settings: offline defaults (local storage, built-in analyzer) and their limits', () => {
  const config = loadConfig(base());
  expect({
    storage: config.STORAGE_PROVIDER,
    ml: config.ML_PROVIDER,
    timeout: config.ML_TIMEOUT_MS,
    attempts: config.ML_MAX_ATTEMPTS,
    retryBase: config.ML_RETRY_BASE_SECONDS,
    maxBytes: config.REPORT_MAX_BYTES,
    quota: config.REPORT_QUOTA,
  }).toEqual({
    storage: 'local',
    ml: 'builtin',
    timeout: 20_000,
    attempts: 4,
    retryBase: 10,
    maxBytes: 10 * 1024 * 1024,
    quota: 100,
  });
  expect(() => loadConfig({ ...base(), ML_MAX_ATTEMPTS: '0' })).toThrow('ML_MAX_ATTEMPTS');
  expect(() => loadConfig({ ...base(), REPORT_MAX_BYTES: '0' })).toThrow('REPORT_MAX_BYTES');
});

test('cloudinary needs its three credentials; the http analyzer needs its URL', () => {
  let problem = '';
  try {
    loadConfig({ ...base(), STORAGE_PROVIDER: 'cloudinary', CLOUDINARY_CLOUD_NAME: 'x' });
  } catch (error) {
    problem = String(error);
  }
  expect(problem).toContain('CLOUDINARY_API_KEY: required when STORAGE_PROVIDER=cloudinary');
  expect(problem).toContain('CLOUDINARY_API_SECRET: required when STORAGE_PROVIDER=cloudinary');
  expect(problem).not.toContain('CLOUDINARY_CLOUD_NAME');
  expect(() => loadConfig({ ...base(), ML_PROVIDER: 'http' })).toThrow('ML_SERVICE_URL');
  expect(() => loadConfig({ ...base(), ML_PROVIDER: 'http', ML_SERVICE_URL: 'ftp://x' })).toThrow(
    'ML_SERVICE_URL',
  );
  expect(
    loadConfig({ ...base(), ML_PROVIDER: 'http', ML_SERVICE_URL: 'http://127.0.0.1:9' }).ML_PROVIDER,
  ).toBe('http');
});
