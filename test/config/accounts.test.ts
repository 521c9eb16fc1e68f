import { describe, expect, test } from 'bun:test';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { tempDir } from '../support/temp-dirs.ts';

const fullWidth = (text: string): string =>
  [...text].map((ch) => (/[!-~]/.test(ch) ? String.fromCodePoint(ch.codePointAt(0)! + 0xfee0) : ch)).join('');
const base = () => ({ DATA_DIR: tempDir('hv-cfg-') });
const production = {
  NODE_ENV: 'production',
  JWT_SECRET: 'x'.repeat(40),
  EMAIL_PROVIDER: 'resend',
  RESEND_API_KEY: 're_live',
  PAYMENT_PROVIDER: 'razorpay',
  RAZORPAY_KEY_ID: 'rzp_live_x',
  RAZORPAY_KEY_SECRET: 'secret',
  RAZORPAY_WEBHOOK_SECRET: 'whsecret',
};

describe('accounts settings', () => {
  test('defaults: argon2id at 64 MiB and 2 passes, codes valid 10 minutes', () => {
    const config = loadConfig(base());
    expect(config.PASSWORD_HASH_MEMORY_KIB).toBe(65_536);
    expect(config.PASSWORD_HASH_TIME_COST).toBe(2);
    expect(config.OTP_TTL_SECONDS).toBe(600);
  });

  test('ADMIN_EMAIL without ADMIN_PASSWORD (or the reverse) is refused', () => {
    expect(() => loadConfig({ ...base(), ADMIN_EMAIL: 'a@b.test' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base(), ADMIN_PASSWORD: 'long enough' })).toThrow(/ADMIN_EMAIL/);
  });

  test('production refuses a cheap password hash', () => {
    expect(() => loadConfig({ ...base(), ...production, PASSWORD_HASH_MEMORY_KIB: '64' })).toThrow(
      /PASSWORD_HASH_MEMORY_KIB/,
    );
    expect(loadConfig({ ...base(), ...production }).PASSWORD_HASH_MEMORY_KIB).toBe(65_536);
  });

  test('argon2 memory below 8 KiB and OTP lifetimes under a minute are not valid values', () => {
    expect(() => loadConfig({ ...base(), PASSWORD_HASH_MEMORY_KIB: '4' })).toThrow(
      /PASSWORD_HASH_MEMORY_KIB/,
    );
    expect(() => loadConfig({ ...base(), OTP_TTL_SECONDS: '10' })).toThrow(/OTP_TTL_SECONDS/);
  });

  test('ADMIN_EMAIL follows the account email rule: a full-width or over-long local part is a config error naming it', () => {
    const admin = { NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(40), ADMIN_PASSWORD: 'admin password 1' };
    for (const ADMIN_EMAIL of [`${fullWidth('admin')}@example.com`, `${'a'.repeat(65)}@example.com`]) {
      expect(() => loadConfig({ ...admin, ADMIN_EMAIL })).toThrow(ConfigError);
      expect(() => loadConfig({ ...admin, ADMIN_EMAIL })).toThrow(/ADMIN_EMAIL/);
    }
  });

  test('DEFAULT_TIMEZONE must be an IANA zone, and is stored canonical', () => {
    expect(() => loadConfig({ ...base(), DEFAULT_TIMEZONE: 'IST' })).toThrow('DEFAULT_TIMEZONE');
    expect(loadConfig({ ...base(), DEFAULT_TIMEZONE: 'europe/berlin' }).DEFAULT_TIMEZONE).toBe(
      'Europe/Berlin',
    );
    expect(loadConfig(base()).DEFAULT_TIMEZONE).toBe('Asia/Kolkata');
  });
});
