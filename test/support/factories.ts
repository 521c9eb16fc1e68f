import type { PublicUser } from '../../src/modules/users/users.model.ts';
import { randomEmail, type TestApp } from './app.ts';

export interface CreateUserOptions {
  role: 'patient' | 'doctor' | 'admin';
  /** Doctors only: `true` has an admin approve them; absent or false leaves them pending. */
  approved?: boolean;
  doctor?: Partial<{
    specialty: string;
    consultationFeePaise: number;
    timezone: string;
    registrationNumber: string;
  }>;
  email?: string;
  password?: string;
  name?: string;
}

export interface CreatedUser {
  user: PublicUser;
  accessToken: string;
  refreshToken: string;
  email: string;
  password: string;
}

const reviewers = new WeakMap<TestApp, Promise<CreatedUser>>();
/** One admin per test app approves the doctors its factories make. */
const reviewerFor = (t: TestApp): Promise<CreatedUser> => {
  let admin = reviewers.get(t);
  if (!admin) {
    admin = createUser(t, { role: 'admin', name: 'Factory reviewer' });
    reviewers.set(t, admin);
  }
  return admin;
};

let ipCounter = 0;
/** A distinct client address per call, so rate limits per IP (TRUST_PROXY in tests) never bite factories. */
export const nextClientIp = (): string => {
  ipCounter++;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
};

async function expectStatus(
  res: { status: number; body: unknown },
  expected: number,
  step: string,
): Promise<void> {
  if (res.status !== expected) {
    throw new Error(`${step}: expected ${expected}, got ${res.status} ${JSON.stringify(res.body)}`);
  }
}

/** The newest code emailed to an address, read from the dev mailbox as a user would read it. */
export async function latestCode(t: TestApp, email: string, subjectIncludes = ''): Promise<string> {
  // Every answer comes before its email is out (the outbox delivers after the commit), as in real life.
  await t.container.outboxDeliverer.settled();
  const res = await t.call('GET', `/api/v1/dev/mailbox?to=${encodeURIComponent(email)}`);
  await expectStatus(res, 200, 'read mailbox');
  const message = (res.body.messages as { subject: string; text: string }[]).find((m) =>
    m.subject.includes(subjectIncludes),
  );
  const code = message?.text.match(/\b(\d{6})\b/)?.[1];
  if (!code) throw new Error(`no code emailed to ${email}`);
  return code;
}

/** Signs in over HTTP; returns the token pair and user. */
export async function login(
  t: TestApp,
  email: string,
  password: string,
): Promise<Omit<CreatedUser, 'email' | 'password'>> {
  const res = await t.call('POST', '/api/v1/auth/login', {
    body: { email, password },
    headers: { 'x-forwarded-for': nextClientIp() },
  });
  await expectStatus(res, 200, 'login');
  return { user: res.body.user, accessToken: res.body.accessToken, refreshToken: res.body.refreshToken };
}

/**
 * Makes a signed-in user through the real flows: signup over HTTP, the code from the dev mailbox,
 * verify; an approved doctor is approved by an admin over HTTP; an admin comes from the same bootstrap
 * as ADMIN_EMAIL/ADMIN_PASSWORD (`ensureAdmin`) and then signs in.
 */
export async function createUser(t: TestApp, opts: CreateUserOptions): Promise<CreatedUser> {
  const email = (opts.email ?? randomEmail(opts.role)).toLowerCase();
  const password = opts.password ?? `pw-${crypto.randomUUID()}`;
  const name = opts.name ?? `Test ${opts.role}`;

  if (opts.role === 'admin') {
    await t.container.accounts.ensureAdmin(email, password, name);
    return { ...(await login(t, email, password)), email, password };
  }

  const doctorFields =
    opts.role === 'doctor'
      ? {
          specialty: 'General Medicine',
          registrationNumber: `REG-${crypto.randomUUID().slice(0, 8)}`,
          consultationFeePaise: 50_000,
          timezone: 'Asia/Kolkata',
          ...opts.doctor,
        }
      : {};
  const signup = await t.call('POST', '/api/v1/auth/signup', {
    body: { name, email, password, role: opts.role, ...doctorFields },
    headers: { 'x-forwarded-for': nextClientIp() },
  });
  await expectStatus(signup, 201, 'signup');

  const code = await latestCode(t, email, 'verification');
  const verified = await t.call('POST', '/api/v1/auth/otp/verify', {
    body: { email, code },
    headers: { 'x-forwarded-for': nextClientIp() },
  });
  await expectStatus(verified, 200, 'verify');
  let created: CreatedUser = {
    user: verified.body.user,
    accessToken: verified.body.accessToken,
    refreshToken: verified.body.refreshToken,
    email,
    password,
  };

  if (opts.role === 'doctor' && opts.approved === true) {
    const admin = await reviewerFor(t);
    const approved = await t.call('POST', `/api/v1/admin/doctors/${created.user.id}/approve`, {
      token: admin.accessToken,
    });
    await expectStatus(approved, 200, 'approve doctor');
    created = { ...created, user: approved.body.user };
  }
  return created;
}
