import { describe, expect, test } from 'bun:test';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { tempDir } from '../support/temp-dirs.ts';

const base = () => ({ DATA_DIR: tempDir('hv-cfg-') });

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('payment settings', () => {
  test('defaults: dev provider, the Razorpay host, a 50 000 rupee top-up limit, reconciliation every minute', () => {
    const config = loadConfig(base());
    expect(config.PAYMENT_PROVIDER).toBe('dev');
    expect(config.RAZORPAY_BASE_URL).toBe('https://api.razorpay.com');
    expect(config.WALLET_TOPUP_MAX_PAISE).toBe(5_000_000);
    expect(config.PAYMENT_RECONCILE_SECONDS).toBe(60);
  });

  test('razorpay needs all three secrets, each named, none echoed', () => {
    const problems = problemsOf({ ...base(), PAYMENT_PROVIDER: 'razorpay', RAZORPAY_KEY_ID: 'rzp_test_1' });
    expect(problems.filter((p) => p.startsWith('RAZORPAY_'))).toEqual([
      'RAZORPAY_KEY_SECRET: required when PAYMENT_PROVIDER=razorpay',
      'RAZORPAY_WEBHOOK_SECRET: required when PAYMENT_PROVIDER=razorpay',
    ]);
    const config = loadConfig({
      ...base(),
      PAYMENT_PROVIDER: 'razorpay',
      RAZORPAY_KEY_ID: 'rzp_test_1',
      RAZORPAY_KEY_SECRET: 's',
      RAZORPAY_WEBHOOK_SECRET: 'w',
    });
    expect(config.RAZORPAY_KEY_SECRET).toBe('s');
  });

  test('a base URL that is not http(s) and a top-up limit under Razorpay minimum are refused', () => {
    const problems = problemsOf({ ...base(), RAZORPAY_BASE_URL: 'ftp://x', WALLET_TOPUP_MAX_PAISE: '50' });
    expect(problems.some((p) => p.startsWith('RAZORPAY_BASE_URL:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('WALLET_TOPUP_MAX_PAISE:'))).toBe(true);
  });
});
