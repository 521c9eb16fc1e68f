import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { purgeExpiredRecords } from '../../src/jobs/housekeeping.ts';
import { Outbox, type OutboxDoc } from '../../src/modules/outbox/outbox.model.ts';
import { buildTestApp, randomEmail, type TestApp } from '../support/app.ts';
import { createUser, login, nextClientIp } from '../support/factories.ts';
import { type ResendFake, startResendFake } from '../support/fakes/resend.ts';

let fake: ResendFake;
beforeAll(() => {
  fake = startResendFake();
});
afterAll(() => fake.stop());

const resendApp = (env: Record<string, string> = {}) =>
  buildTestApp({
    EMAIL_PROVIDER: 'resend',
    RESEND_API_KEY: 're_outbox_key',
    RESEND_BASE_URL: fake.url,
    OUTBOX_MAX_ATTEMPTS: '4',
    ...env,
  });

const recordsTo = (t: TestApp, recipient: string): Promise<OutboxDoc[]> =>
  t.container.store.collection(Outbox).findAll({ recipient }, { sort: { createdAt: 1 } });

const onlyRecordTo = async (t: TestApp, recipient: string): Promise<OutboxDoc> => {
  const records = await recordsTo(t, recipient);
  expect(records).toHaveLength(1);
  return records[0]!;
};

const signup = (t: TestApp, email: string, role: 'patient' | 'doctor' = 'patient') =>
  t.call('POST', '/api/v1/auth/signup', {
    body: {
      name: 'Asha Rao',
      email,
      password: 'correct horse battery',
      role,
      ...(role === 'doctor'
        ? {
            specialty: 'General Medicine',
            registrationNumber: `REG-${crypto.randomUUID().slice(0, 8)}`,
            consultationFeePaise: 50_000,
            timezone: 'Europe/London',
          }
        : {}),
    },
    headers: { 'x-forwarded-for': nextClientIp() },
  });

/** Moves the clock past any retry delay and lets the deliverer run once more. */
const nextAttempt = async (t: TestApp): Promise<void> => {
  t.clock.advance(t.config.OUTBOX_RETRY_MAX_SECONDS * 1000 + 1000);
  t.container.outboxDeliverer.wake();
  await t.container.outboxDeliverer.settled();
};

const codeIn = (text: string | undefined): string => text!.match(/\b(\d{6})\b/)![1]!;

describe('outbox delivery through Resend (real SDK against the loopback fake)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await resendApp();
  });
  afterAll(() => t.close());

  test("the record's id is the Idempotency-Key; once sent, the code's body is erased from the record", async () => {
    const email = randomEmail();
    expect((await signup(t, email)).status).toBe(201);
    await t.container.outboxDeliverer.settled();
    const record = await onlyRecordTo(t, email);
    const [sent] = fake.deliveredTo(email);
    expect(sent!.idempotencyKey).toBe(record._id);
    expect(record).toMatchObject({ status: 'sent', attempts: 1, sensitive: true, kind: 'email' });
    expect(record.body).toBeUndefined();
    expect(record.erasedAt).toBeInstanceOf(Date);
    expect(JSON.stringify(record)).not.toContain(codeIn(sent!.body.text));
  });

  test('503 for the first 3 calls -> the message arrives exactly once after recovery', async () => {
    const email = randomEmail();
    fake.failTimes(3, 503, 'application_error', 'Service unavailable');
    expect((await signup(t, email)).status).toBe(201);
    await t.container.outboxDeliverer.settled();
    let record = await onlyRecordTo(t, email);
    expect(record).toMatchObject({
      status: 'queued',
      attempts: 1,
      lastError: 'Resend refused the email: Service unavailable',
    });
    expect(record.body).toBeDefined();
    const firstDelay = record.nextAttemptAt.getTime() - t.clock.now().getTime();
    // Base 30 s with equal jitter: between 15 and 30 s.
    expect(firstDelay).toBeGreaterThanOrEqual(15_000);
    expect(firstDelay).toBeLessThanOrEqual(30_000);

    await nextAttempt(t);
    await nextAttempt(t);
    record = await onlyRecordTo(t, email);
    expect(record).toMatchObject({ status: 'queued', attempts: 3 });
    await nextAttempt(t);
    record = await onlyRecordTo(t, email);
    expect(record).toMatchObject({ status: 'sent', attempts: 4 });
    expect(record.lastError).toBeUndefined();
    expect(fake.received.filter((r) => r.idempotencyKey === record._id)).toHaveLength(4);
    expect(fake.deliveredTo(email)).toHaveLength(1);
    await nextAttempt(t);
    expect(fake.deliveredTo(email)).toHaveLength(1);
  });

  test('a 422 refusal parks the record at once, with the provider message and no body', async () => {
    const email = randomEmail();
    fake.failNext(422, 'validation_error', 'Invalid `to` field.');
    expect((await signup(t, email)).status).toBe(201);
    await t.container.outboxDeliverer.settled();
    const record = await onlyRecordTo(t, email);
    expect(record).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: 'Resend refused the email: Invalid `to` field.',
    });
    expect(record.body).toBeUndefined();
    await nextAttempt(t);
    expect((await onlyRecordTo(t, email)).attempts).toBe(1);
    expect(t.logger.lines.find((l) => l.msg === 'outbox record parked' && l.id === record._id)).toMatchObject(
      {
        reason: 'permanent',
      },
    );
  });

  test('signup with the provider down answers 201; the code arrives after recovery and works', async () => {
    const email = randomEmail();
    fake.goDown();
    try {
      const res = await signup(t, email);
      expect(res.status).toBe(201);
      await t.container.outboxDeliverer.settled();
      expect(fake.deliveredTo(email)).toHaveLength(0);
      expect((await onlyRecordTo(t, email)).status).toBe('queued');
    } finally {
      fake.recover();
    }
    // The first retry is due within OUTBOX_RETRY_BASE_SECONDS, well inside the code's lifetime.
    t.clock.advance(t.config.OUTBOX_RETRY_BASE_SECONDS * 1000);
    t.container.outboxDeliverer.wake();
    await t.container.outboxDeliverer.settled();
    const [sent] = fake.deliveredTo(email);
    expect(sent).toBeDefined();
    const verified = await t.call('POST', '/api/v1/auth/otp/verify', {
      body: { email, code: codeIn(sent!.body.text) },
      headers: { 'x-forwarded-for': nextClientIp() },
    });
    expect(verified.status).toBe(200);
    expect(verified.body.user.emailVerified).toBe(true);
  });

  test("a queued code's body is erased once the code has lapsed; the record is parked and cannot be retried", async () => {
    const email = randomEmail();
    const admin = await createUser(t, { role: 'admin' });
    fake.goDown();
    try {
      expect((await signup(t, email)).status).toBe(201);
      await t.container.outboxDeliverer.settled();
      t.clock.advance(t.config.OTP_TTL_SECONDS * 1000 + 1000);
      const removed = await purgeExpiredRecords(t.container.purges, t.clock, t.logger);
      expect(removed.outboxSecrets).toBeGreaterThanOrEqual(1);
    } finally {
      fake.recover();
    }
    const record = await onlyRecordTo(t, email);
    expect(record).toMatchObject({ status: 'failed', lastError: 'the code expired before it was delivered' });
    expect(record.body).toBeUndefined();
    const retry = await t.call('POST', `/api/v1/admin/outbox/${record._id}/retry`, {
      token: admin.accessToken,
    });
    expect(retry.status).toBe(409);
    expect(retry.body.error.code).toBe('OUTBOX_BODY_ERASED');
    expect((await onlyRecordTo(t, email)).status).toBe('failed');
  });
});

describe('the provider down for the whole delivery', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await resendApp();
  });
  afterAll(() => t.close());

  test('-> failed after OUTBOX_MAX_ATTEMPTS, visible to admins without its body, retried by an admin and delivered once', async () => {
    let admin = await createUser(t, { role: 'admin' });
    const email = randomEmail('doctor');
    expect((await signup(t, email, 'doctor')).status).toBe(201);
    await t.container.outboxDeliverer.settled();
    const doctorId = (await t.container.usersRepo.findByEmail(email))!._id;
    // Only a verified doctor can be approved; this test is about the approval email, not the code.
    await t.container.usersRepo.markEmailVerified(doctorId, t.clock.now());

    fake.goDown();
    let recordId = '';
    try {
      const approved = await t.call('POST', `/api/v1/admin/doctors/${doctorId}/approve`, {
        token: admin.accessToken,
      });
      expect(approved.status).toBe(200);
      await t.container.outboxDeliverer.settled();
      for (let i = 1; i < t.config.OUTBOX_MAX_ATTEMPTS; i++) await nextAttempt(t);
      const record = (await recordsTo(t, email)).find((r) => r.subject.includes('approved'))!;
      recordId = record._id;
      expect(record).toMatchObject({
        status: 'failed',
        attempts: t.config.OUTBOX_MAX_ATTEMPTS,
        lastError: 'Resend refused the email: Service unavailable',
      });
      // Not sensitive: the body stays, so an admin can send it again.
      expect(record.body).toBeDefined();
      await nextAttempt(t);
      expect((await t.container.store.collection(Outbox).findById(recordId))!.attempts).toBe(
        t.config.OUTBOX_MAX_ATTEMPTS,
      );
      // Hours went by: the admin signs in again.
      admin = { ...admin, ...(await login(t, admin.email, admin.password)) };

      const failed = await t.call('GET', '/api/v1/admin/outbox?status=failed&kind=email', {
        token: admin.accessToken,
      });
      expect(failed.status).toBe(200);
      const item = failed.body.items.find((i: { id: string }) => i.id === recordId);
      expect(item).toEqual({
        id: recordId,
        kind: 'email',
        recipient: email,
        subject: 'Your HealthVision doctor profile is approved',
        status: 'failed',
        attempts: t.config.OUTBOX_MAX_ATTEMPTS,
        nextAttemptAt: record.nextAttemptAt.toISOString(),
        lastError: 'Resend refused the email: Service unavailable',
        createdAt: record.createdAt.toISOString(),
        sentAt: null,
      });
      expect(JSON.stringify(failed.body)).not.toContain('Patients can now find you');
      const stats = await t.call('GET', '/api/v1/admin/outbox/stats', { token: admin.accessToken });
      expect(stats.status).toBe(200);
      expect(stats.body.counts.failed).toBe(1);
      expect(stats.body.oldestQueuedAgeSeconds).toBeNull();
    } finally {
      fake.recover();
    }

    const retried = await t.call('POST', `/api/v1/admin/outbox/${recordId}/retry`, {
      token: admin.accessToken,
    });
    expect(retried.status).toBe(200);
    expect(retried.body.record).toMatchObject({
      id: recordId,
      status: 'queued',
      attempts: 0,
      lastError: expect.any(String),
    });
    await t.container.outboxDeliverer.settled();
    const approvals = fake.deliveredTo(email).filter((r) => r.body.subject.includes('approved'));
    expect(approvals).toHaveLength(1);
    expect(approvals[0]!.idempotencyKey).toBe(recordId);
    const sent = (await t.container.store.collection(Outbox).findById(recordId))!;
    expect(sent).toMatchObject({ status: 'sent', attempts: 1 });

    const again = await t.call('POST', `/api/v1/admin/outbox/${recordId}/retry`, {
      token: admin.accessToken,
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('OUTBOX_NOT_FAILED');
    const sentList = await t.call('GET', '/api/v1/admin/outbox?status=sent', { token: admin.accessToken });
    expect(sentList.body.items.find((i: { id: string }) => i.id === recordId).sentAt).toBe(
      sent.sentAt!.toISOString(),
    );
    expect(t.logger.lines.find((l) => l.msg === 'outbox record requeued')).toMatchObject({
      id: recordId,
      adminId: admin.user.id,
    });
  });
});
