import { afterAll, beforeAll, expect, test } from 'bun:test';
import { probeEnumeration, type Send, STEPS } from '../../scripts/probe-enumeration.ts';
import { Otps } from '../../src/modules/auth/auth.model.ts';
import { Users } from '../../src/modules/users/users.model.ts';
import { buildTestApp, type TestApp } from '../support/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

const send: Send = (method, path, body, ip) =>
  t.app.handle(
    new Request(`http://localhost/api/v1${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );

test('forgot, reset, verify and resend answer 20 existing and 20 unknown addresses byte for byte alike', async () => {
  const result = await probeEnumeration(send, {
    count: 20,
    emailsSent: () => t.container.outboxDeliverer.settled(),
  });
  expect(result.mismatches).toEqual([]);

  // What every address got: the wrong-code paths down to the lock, and the throttled repeats.
  const codes = result.reference.map((answer) => {
    const body = JSON.parse(answer.body);
    return `${answer.status} ${body.error?.code ?? body.status}${body.error?.details?.attemptsLeft ?? ''}`;
  });
  const countdown = [
    '422 OTP_INVALID4',
    '422 OTP_INVALID3',
    '422 OTP_INVALID2',
    '422 OTP_INVALID1',
    '422 OTP_INVALID0',
  ];
  expect(codes).toEqual([
    '202 accepted',
    '429 RATE_LIMITED',
    ...countdown,
    '422 OTP_LOCKED0',
    ...countdown,
    '422 OTP_LOCKED0',
    '202 accepted',
    '429 RATE_LIMITED',
    '422 OTP_INVALID4',
  ]);
  expect(codes).toHaveLength(STEPS.length);
  expect(result.reference[1]!.canonical).toContain('retry-after: 60');

  // The two kinds really were different underneath: accounts exist and were emailed, the others not.
  const users = t.container.store.collection(Users);
  for (const email of result.addresses.existing) expect(await users.findOne({ email })).not.toBeNull();
  for (const email of result.addresses.unknown) {
    expect(await users.findOne({ email })).toBeNull();
    expect(await t.container.store.collection(Otps).count({ email })).toBe(2);
  }
  await t.container.outboxDeliverer.settled();
  const mailbox = async (email: string) =>
    (await t.call('GET', `/api/v1/dev/mailbox?to=${encodeURIComponent(email)}`)).body.messages as {
      subject: string;
    }[];
  for (const email of result.addresses.unknown) expect(await mailbox(email)).toEqual([]);
  for (const email of result.addresses.existing) {
    expect((await mailbox(email)).some((m) => m.subject.includes('password reset'))).toBe(true);
  }
});
