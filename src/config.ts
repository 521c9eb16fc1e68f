import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Static, Type as T } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { EMAIL_ADDRESS } from './shared/email-address.ts';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from './shared/private-files.ts';
import { canonicalTimeZone, isTimeZone } from './shared/time-zones.ts';

const Port = T.Integer({ minimum: 0, maximum: 65535 });
const Seconds = T.Integer({ minimum: 1 });

/** Every setting HealthVision reads, with its default. `.env.example` documents each one. */
export const EnvSchema = T.Object({
  NODE_ENV: T.Union([T.Literal('development'), T.Literal('test'), T.Literal('production')], {
    default: 'development',
  }),
  HOST: T.String({ default: '::', minLength: 1 }),
  PORT: T.Integer({ ...Port, default: 3000 }),
  DATA_DIR: T.String({ default: './data', minLength: 1 }),
  DATABASE_URL: T.Optional(T.String({ pattern: '^(sqlite:|mongodb://|mongodb\\+srv://)' })),
  MONGODB_SERVER_SELECTION_TIMEOUT_MS: T.Integer({ minimum: 100, maximum: 120_000, default: 5000 }),
  READY_TIMEOUT_MS: T.Integer({ minimum: 1, maximum: 60_000, default: 2000 }),
  LOG_LEVEL: T.Union(
    [T.Literal('debug'), T.Literal('info'), T.Literal('warn'), T.Literal('error'), T.Literal('silent')],
    {
      default: 'info',
    },
  ),
  PUBLIC_URL: T.Optional(T.String({ pattern: '^https?://' })),
  CORS_ORIGINS: T.String({ default: 'http://localhost:5173' }),
  TRUST_PROXY: T.Boolean({ default: false }),
  BODY_LIMIT_BYTES: T.Integer({ minimum: 1024, default: 1_048_576 }),
  SHUTDOWN_GRACE_MS: T.Integer({ minimum: 0, default: 10_000 }),
  JWT_SECRET: T.Optional(T.String({ minLength: 1 })),
  JWT_ISSUER: T.String({ default: 'healthvision' }),
  JWT_AUDIENCE: T.String({ default: 'healthvision-api' }),
  ACCESS_TOKEN_TTL_SECONDS: T.Integer({ ...Seconds, default: 900 }),
  REFRESH_TOKEN_TTL_SECONDS: T.Integer({ ...Seconds, default: 2_592_000 }),
  REFRESH_REUSE_GRACE_SECONDS: T.Integer({ minimum: 0, maximum: 300, default: 10 }),
  ADMIN_EMAIL: T.Optional(T.String({ format: EMAIL_ADDRESS })),
  ADMIN_PASSWORD: T.Optional(T.String({ minLength: 8, maxLength: 128 })),
  EMAIL_PROVIDER: T.Union([T.Literal('dev'), T.Literal('resend')], { default: 'dev' }),
  EMAIL_FROM: T.String({ default: 'HealthVision <no-reply@healthvision.local>' }),
  RESEND_API_KEY: T.Optional(T.String()),
  RESEND_BASE_URL: T.Optional(T.String({ pattern: '^https?://' })),
  AVATAR_PROVIDER: T.Union([T.Literal('dev'), T.Literal('imagekit')], { default: 'dev' }),
  AVATAR_MAX_BYTES: T.Integer({ minimum: 1, default: 2_097_152 }),
  IMAGEKIT_PUBLIC_KEY: T.Optional(T.String()),
  IMAGEKIT_PRIVATE_KEY: T.Optional(T.String()),
  IMAGEKIT_URL_ENDPOINT: T.Optional(T.String({ pattern: '^https?://' })),
  IMAGEKIT_UPLOAD_URL: T.Optional(T.String({ pattern: '^https?://' })),
  PAYMENT_PROVIDER: T.Union([T.Literal('dev'), T.Literal('razorpay')], { default: 'dev' }),
  RAZORPAY_KEY_ID: T.Optional(T.String()),
  RAZORPAY_KEY_SECRET: T.Optional(T.String()),
  RAZORPAY_WEBHOOK_SECRET: T.Optional(T.String()),
  RAZORPAY_BASE_URL: T.String({ pattern: '^https?://', default: 'https://api.razorpay.com' }),
  WALLET_TOPUP_MAX_PAISE: T.Integer({ minimum: 100, default: 5_000_000 }),
  PAYMENT_RECONCILE_SECONDS: T.Integer({ ...Seconds, maximum: 86_400, default: 60 }),
  BOOKING_HOLD_SECONDS: T.Integer({ ...Seconds, default: 900 }),
  // Job periods (croner intervals, so any number of seconds works); at most a day.
  HOUSEKEEPING_SECONDS: T.Integer({ ...Seconds, maximum: 86_400, default: 300 }),
  HOLD_SWEEP_SECONDS: T.Integer({ ...Seconds, maximum: 86_400, default: 30 }),
  SLOT_HORIZON_DAYS: T.Integer({ minimum: 1, maximum: 730, default: 90 }),
  MAX_SLOTS_PER_REQUEST: T.Integer({ minimum: 1, maximum: 5000, default: 500 }),
  MAX_HOLDS_PER_PATIENT: T.Integer({ minimum: 1, maximum: 100, default: 3 }),
  // Cancellation and rescheduling of confirmed appointments (docs/appointments.md).
  REFUND_FULL_HOURS: T.Integer({ minimum: 0, maximum: 720, default: 24 }),
  REFUND_LATE_PERCENT: T.Integer({ minimum: 0, maximum: 100, default: 50 }),
  RESCHEDULE_CUTOFF_HOURS: T.Integer({ minimum: 0, maximum: 720, default: 2 }),
  MAX_RESCHEDULES: T.Integer({ minimum: 0, maximum: 100, default: 2 }),
  REMINDER_OFFSETS_MINUTES: T.String({ pattern: '^\\d{1,5}(,\\d{1,5})*$', default: '1440,60' }),
  RATE_LIMITS_ENABLED: T.Boolean({ default: true }),
  PASSWORD_HASH_MEMORY_KIB: T.Integer({ minimum: 8, maximum: 4_194_304, default: 65_536 }),
  PASSWORD_HASH_TIME_COST: T.Integer({ minimum: 1, maximum: 20, default: 2 }),
  OTP_TTL_SECONDS: T.Integer({ minimum: 60, maximum: 86_400, default: 600 }),
  // The recipient's zone for times in emails when they have not chosen one.
  DEFAULT_TIMEZONE: T.String({ default: 'Asia/Kolkata', minLength: 1 }),
  OUTBOX_POLL_SECONDS: T.Integer({ ...Seconds, maximum: 3600, default: 5 }),
  OUTBOX_LEASE_SECONDS: T.Integer({ ...Seconds, maximum: 3600, default: 60 }),
  OUTBOX_RETRY_BASE_SECONDS: T.Integer({ ...Seconds, maximum: 86_400, default: 30 }),
  OUTBOX_RETRY_MAX_SECONDS: T.Integer({ ...Seconds, maximum: 604_800, default: 3600 }),
  OUTBOX_MAX_ATTEMPTS: T.Integer({ minimum: 1, maximum: 100, default: 8 }),
  OUTBOX_KEEP_DAYS: T.Integer({ minimum: 1, maximum: 365, default: 7 }),
  STORAGE_PROVIDER: T.Union([T.Literal('local'), T.Literal('cloudinary')], { default: 'local' }),
  CLOUDINARY_CLOUD_NAME: T.Optional(T.String({ minLength: 1 })),
  CLOUDINARY_API_KEY: T.Optional(T.String({ minLength: 1 })),
  CLOUDINARY_API_SECRET: T.Optional(T.String({ minLength: 1 })),
  CLOUDINARY_UPLOAD_PREFIX: T.Optional(T.String({ pattern: '^https?://' })),
  ML_PROVIDER: T.Union([T.Literal('builtin'), T.Literal('http')], { default: 'builtin' }),
  ML_SERVICE_URL: T.Optional(T.String({ pattern: '^https?://' })),
  ML_API_KEY: T.Optional(T.String({ minLength: 1 })),
  ML_TIMEOUT_MS: T.Integer({ minimum: 100, maximum: 300_000, default: 20_000 }),
  ML_MAX_ATTEMPTS: T.Integer({ minimum: 1, maximum: 100, default: 4 }),
  ML_RETRY_BASE_SECONDS: T.Integer({ ...Seconds, maximum: 86_400, default: 10 }),
  REPORT_MAX_BYTES: T.Integer({ minimum: 1, maximum: 104_857_600, default: 10_485_760 }),
  REPORT_QUOTA: T.Integer({ minimum: 1, maximum: 100_000, default: 100 }),
  // Video calls: ICE servers (comma-separated URLs), TURN REST credentials, tickets, join window, socket limits.
  STUN_URLS: T.String({ default: '' }),
  TURN_URLS: T.String({ default: '' }),
  TURN_SECRET: T.Optional(T.String({ minLength: 1 })),
  TURN_TTL_SECONDS: T.Integer({ minimum: 60, maximum: 86_400, default: 3600 }),
  CALL_TICKET_SECONDS: T.Integer({ ...Seconds, maximum: 600, default: 60 }),
  CALL_JOIN_EARLY_MINUTES: T.Integer({ minimum: 0, maximum: 1440, default: 10 }),
  CALL_JOIN_LATE_MINUTES: T.Integer({ minimum: 0, maximum: 1440, default: 30 }),
  WS_MAX_MESSAGES_PER_SECOND: T.Integer({ minimum: 1, maximum: 1_000_000, default: 50 }),
});

type Env = Static<typeof EnvSchema>;

export type Config = Readonly<
  Omit<Env, 'DATABASE_URL' | 'JWT_SECRET' | 'CORS_ORIGINS'> & {
    DATABASE_URL: string;
    JWT_SECRET: string;
    CORS_ORIGINS: readonly string[];
  }
>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const EMPTY_TO_UNDEFINED = (env: Record<string, string | undefined>) =>
  Object.fromEntries(
    Object.entries(env).filter(([key, value]) => key in EnvSchema.properties && value !== ''),
  );

const describe = (path: string): string => {
  const schema = EnvSchema.properties[path.replace(/^\//, '') as keyof Env] as
    | Record<string, unknown>
    | undefined;
  if (!schema) return 'a valid value';
  if (Array.isArray(schema.anyOf))
    return `one of ${(schema.anyOf as { const: string }[]).map((s) => s.const).join(', ')}`;
  if (schema.type === 'integer') {
    const range = [
      schema.minimum !== undefined ? `>= ${schema.minimum}` : '',
      schema.maximum !== undefined ? `<= ${schema.maximum}` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    return `an integer${range ? ` ${range}` : ''}`;
  }
  if (schema.type === 'boolean') return 'true or false';
  if (schema.pattern) return `a value matching ${schema.pattern}`;
  if (schema.format) return `a valid ${schema.format}`;
  if (schema.minLength) return `a string of at least ${schema.minLength} characters`;
  return 'a valid value';
};

const SECRET_NAME = /SECRET|PASSWORD|KEY/;

/** What an error message may echo of a value: never a secret, never a password inside a URL. */
function redact(name: string, value: string | undefined): string {
  if (SECRET_NAME.test(name)) return '***';
  return String(value).replace(/(\/\/[^/@\s]*:)[^/@\s]*@/, '$1***@');
}

/** Where the dev JWT secret is kept when JWT_SECRET is not set. */
export const devSecretFile = (dataDir: string): string => join(dataDir, 'jwt-secret');

/** Where the dev payment provider keeps its signing secret. */
export const devPaymentSecretFile = (dataDir: string): string => join(dataDir, 'dev-payment-secret');

/** A dev secret is made once and kept in the data directory, so restarts keep sessions (and signatures) valid. */
export function devSecret(dataDir: string, file = devSecretFile(dataDir)): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  ensurePrivateDir(dataDir);
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString('base64url');
  try {
    writeFileSync(file, secret, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
  } catch (error) {
    // Another process made it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw error;
  }
  chmodSync(file, PRIVATE_FILE_MODE);
  return secret;
}

/** Parses the environment once; throws a ConfigError naming each bad variable and what it expects. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const raw = EMPTY_TO_UNDEFINED(source);
  const converted = Value.Convert(EnvSchema, Value.Default(EnvSchema, raw));
  const problems: string[] = [];
  for (const error of Value.Errors(EnvSchema, converted)) {
    const name = error.path.replace(/^\//, '');
    const shown = raw[name] === undefined ? 'missing' : `got "${redact(name, raw[name])}"`;
    problems.push(`${name}: expected ${describe(error.path)} (${shown})`);
  }
  if (problems.length) throw new ConfigError([...new Set(problems)]);
  const env = converted as Env;
  const production = env.NODE_ENV === 'production';

  if (production) {
    if (!env.JWT_SECRET || Buffer.byteLength(env.JWT_SECRET) < 32) {
      problems.push('JWT_SECRET: expected an explicit secret of at least 32 bytes in production');
    }
    if (env.EMAIL_PROVIDER === 'dev')
      problems.push('EMAIL_PROVIDER: the dev mailbox is not allowed in production (use resend)');
    if (env.PAYMENT_PROVIDER === 'dev')
      problems.push('PAYMENT_PROVIDER: the dev payment provider is not allowed in production (use razorpay)');
    if (env.PASSWORD_HASH_MEMORY_KIB < 19_456)
      problems.push(
        'PASSWORD_HASH_MEMORY_KIB: expected at least 19456 (OWASP argon2id minimum) in production',
      );
  }
  if (Boolean(env.ADMIN_EMAIL) !== Boolean(env.ADMIN_PASSWORD))
    problems.push('ADMIN_EMAIL / ADMIN_PASSWORD: set both or neither');
  if (env.EMAIL_PROVIDER === 'resend' && !env.RESEND_API_KEY)
    problems.push('RESEND_API_KEY: required when EMAIL_PROVIDER=resend');
  if (env.AVATAR_PROVIDER === 'imagekit') {
    for (const key of ['IMAGEKIT_PUBLIC_KEY', 'IMAGEKIT_PRIVATE_KEY', 'IMAGEKIT_URL_ENDPOINT'] as const) {
      if (!env[key]) problems.push(`${key}: required when AVATAR_PROVIDER=imagekit`);
    }
  }
  if (env.STORAGE_PROVIDER === 'cloudinary') {
    for (const key of ['CLOUDINARY_CLOUD_NAME', 'CLOUDINARY_API_KEY', 'CLOUDINARY_API_SECRET'] as const) {
      if (!env[key]) problems.push(`${key}: required when STORAGE_PROVIDER=cloudinary`);
    }
  }
  if (env.ML_PROVIDER === 'http' && !env.ML_SERVICE_URL)
    problems.push('ML_SERVICE_URL: required when ML_PROVIDER=http');
  if (env.PAYMENT_PROVIDER === 'razorpay') {
    for (const key of ['RAZORPAY_KEY_ID', 'RAZORPAY_KEY_SECRET', 'RAZORPAY_WEBHOOK_SECRET'] as const) {
      if (!env[key]) problems.push(`${key}: required when PAYMENT_PROVIDER=razorpay`);
    }
  }
  if (!isTimeZone(env.DEFAULT_TIMEZONE))
    problems.push('DEFAULT_TIMEZONE: expected an IANA time zone such as Asia/Kolkata');
  if (env.OUTBOX_RETRY_MAX_SECONDS < env.OUTBOX_RETRY_BASE_SECONDS)
    problems.push('OUTBOX_RETRY_MAX_SECONDS: expected at least OUTBOX_RETRY_BASE_SECONDS');
  if (Boolean(env.TURN_URLS.trim()) !== Boolean(env.TURN_SECRET))
    problems.push('TURN_URLS / TURN_SECRET: set both or neither');
  if (problems.length) throw new ConfigError(problems);

  return Object.freeze({
    ...env,
    DATABASE_URL: env.DATABASE_URL ?? `sqlite:${join(env.DATA_DIR, 'healthvision.sqlite')}`,
    JWT_SECRET: env.JWT_SECRET ?? devSecret(env.DATA_DIR),
    DEFAULT_TIMEZONE: canonicalTimeZone(env.DEFAULT_TIMEZONE)!,
    CORS_ORIGINS: Object.freeze(
      env.CORS_ORIGINS.split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    ),
  });
}

/** For process entry points: the config, or the reasons on stderr and exit code 78 (EX_CONFIG). */
export function loadConfigOrExit(source: Record<string, string | undefined> = process.env): Config {
  try {
    return loadConfig(source);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(78);
  }
}
