import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { appointmentBookedEmail } from '../../src/modules/email-templates/appointment-booked.ts';
import { emailDraft } from '../../src/modules/outbox/handlers/email.ts';
import { Outbox } from '../../src/modules/outbox/outbox.model.ts';
import { OutboxRepository } from '../../src/modules/outbox/outbox.repository.ts';
import { buildTestApp, randomEmail, type TestApp } from '../support/app.ts';
import { createUser, latestCode, nextClientIp } from '../support/factories.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

const mailbox = async (email: string) =>
  (await t.call('GET', `/api/v1/dev/mailbox?to=${encodeURIComponent(email)}`)).body.messages as {
    subject: string;
    text: string;
    attachments: { filename: string; contentType: string; size: number }[];
  }[];

describe('the outbox with the dev adapter', () => {
  test('a commit wakes the deliverer: the message is in the mailbox without waiting for a tick', async () => {
    const email = randomEmail();
    await t.container.outbox.transaction(async (_tx, outbox) => {
      await outbox.enqueue(
        emailDraft(
          appointmentBookedEmail({
            reader: { name: 'Asha', email, timeZone: 'Asia/Kolkata' },
            counterpart: { name: 'Dr Mehta', email: 'mehta@example.test' },
            organizer: { name: 'HealthVision', email: 'no-reply@healthvision.local' },
            appointment: {
              id: 'appt-1',
              startsAt: new Date('2026-05-01T06:00:00Z'),
              endsAt: new Date('2026-05-01T06:30:00Z'),
              sequence: 0,
            },
            at: t.clock.now(),
          }),
        ),
      );
    });
    await t.container.outboxDeliverer.settled();
    const [message] = await mailbox(email);
    expect(message!.subject).toBe(
      'Appointment confirmed: Friday, 1 May 2026 at 11:30 am GMT+5:30 (Asia/Kolkata)',
    );
    expect(message!.attachments).toEqual([
      {
        filename: 'invite.ics',
        contentType: 'text/calendar; method=REQUEST; charset=UTF-8',
        size: expect.any(Number),
      },
    ]);
    expect(message!.attachments[0]!.size).toBeGreaterThan(200);
  });

  test('no admin response carries a body, and no log line a code', async () => {
    const admin = await createUser(t, { role: 'admin' });
    const patient = await createUser(t, { role: 'patient' });
    const forgot = await t.call('POST', '/api/v1/auth/password/forgot', {
      body: { email: patient.email },
      headers: { 'x-forwarded-for': nextClientIp() },
    });
    expect(forgot.status).toBe(202);
    const resetCode = await latestCode(t, patient.email, 'reset');
    const texts = (await mailbox(patient.email)).map((m) => m.text);
    const codes = texts.map((text) => text.match(/\b(\d{6})\b/)![1]!);
    expect(codes).toContain(resetCode);

    const list = await t.call('GET', '/api/v1/admin/outbox?limit=100', { token: admin.accessToken });
    expect(list.status).toBe(200);
    const mine = list.body.items.filter((i: { recipient: string }) => i.recipient === patient.email);
    expect(mine.map((i: { subject: string; status: string }) => [i.subject, i.status]).sort()).toEqual([
      ['Your HealthVision password reset code', 'sent'],
      ['Your HealthVision verification code', 'sent'],
    ]);
    for (const item of mine)
      expect(Object.keys(item).sort()).toEqual([
        'attempts',
        'createdAt',
        'id',
        'kind',
        'lastError',
        'nextAttemptAt',
        'recipient',
        'sentAt',
        'status',
        'subject',
      ]);
    const stats = await t.call('GET', '/api/v1/admin/outbox/stats', { token: admin.accessToken });
    const everything = JSON.stringify([list.body, stats.body, t.logger.lines]);
    for (const code of codes) expect(everything).not.toContain(code);
    expect(everything).not.toContain('Your password reset code is');
    expect(everything).not.toContain('Your verification code is');
    // Erased from the stored records too, once sent.
    const stored = await t.container.store.collection(Outbox).findAll({ recipient: patient.email });
    expect(stored.every((r) => r.sensitive && r.body === undefined && r.erasedAt instanceof Date)).toBe(true);
  });

  test('admin routes: paging, filters, validation and roles', async () => {
    const admin = await createUser(t, { role: 'admin' });
    const patient = await createUser(t, { role: 'patient' });
    const first = await t.call('GET', '/api/v1/admin/outbox?limit=1&status=sent&kind=email', {
      token: admin.accessToken,
    });
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(1);
    expect(first.body.nextCursor).toBeString();
    const second = await t.call(
      'GET',
      `/api/v1/admin/outbox?limit=1&status=sent&cursor=${encodeURIComponent(first.body.nextCursor)}`,
      {
        token: admin.accessToken,
      },
    );
    expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
    expect(
      (await t.call('GET', '/api/v1/admin/outbox?status=lost', { token: admin.accessToken })).status,
    ).toBe(422);
    expect((await t.call('GET', '/api/v1/admin/outbox?limit=500', { token: admin.accessToken })).status).toBe(
      422,
    );
    expect((await t.call('GET', '/api/v1/admin/outbox', { token: patient.accessToken })).status).toBe(403);
    expect((await t.call('GET', '/api/v1/admin/outbox/stats')).status).toBe(401);
    const malformed = await t.call('POST', '/api/v1/admin/outbox/no-such-record/retry', {
      token: admin.accessToken,
    });
    expect(malformed.status).toBe(422);
    const missing = await t.call('POST', `/api/v1/admin/outbox/${crypto.randomUUID()}/retry`, {
      token: admin.accessToken,
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('OUTBOX_RECORD_NOT_FOUND');
    const sentId = first.body.items[0].id;
    const notFailed = await t.call('POST', `/api/v1/admin/outbox/${sentId}/retry`, {
      token: admin.accessToken,
    });
    expect(notFailed.status).toBe(409);
    expect(notFailed.body.error.code).toBe('OUTBOX_NOT_FAILED');
    expect((await t.container.store.collection(Outbox).findById(sentId))!.status).toBe('sent');
  });

  test('a record whose body cannot be read is parked, not retried forever', async () => {
    const recipient = randomEmail();
    const now = t.clock.now();
    const record = await new OutboxRepository(t.container.store).insert({
      kind: 'email',
      recipient,
      subject: 'broken',
      body: '{"to": 1}',
      sensitive: false,
      status: 'queued',
      attempts: 0,
      nextAttemptAt: now,
      createdAt: now,
      updatedAt: now,
    });
    await t.container.outboxDeliverer.deliverDue();
    expect(await t.container.store.collection(Outbox).findById(record._id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: 'the stored body is missing or malformed',
    });
    expect(await mailbox(recipient)).toEqual([]);
  });

  test('sent records are purged after OUTBOX_KEEP_DAYS; unsent ones never', async () => {
    const email = randomEmail();
    await t.container.outbox.transaction(async (_tx, outbox) => {
      await outbox.enqueue(emailDraft({ to: email, subject: 'kept a week', text: 'x', html: 'x' }));
    });
    await t.container.outboxDeliverer.settled();
    const failedRecipient = randomEmail();
    const now = t.clock.now();
    await new OutboxRepository(t.container.store).insert({
      kind: 'email',
      recipient: failedRecipient,
      subject: 'parked',
      body: '{}',
      sensitive: false,
      status: 'failed',
      attempts: 8,
      nextAttemptAt: now,
      createdAt: now,
      updatedAt: now,
    });
    t.clock.advance(6 * 86_400_000);
    expect(await t.container.outbox.purgeSent(t.clock.now())).toBe(0);
    t.clock.advance(86_400_000 + 1000);
    expect(await t.container.outbox.purgeSent(t.clock.now())).toBeGreaterThanOrEqual(1);
    expect(await t.container.store.collection(Outbox).count({ recipient: email })).toBe(0);
    expect(await t.container.store.collection(Outbox).count({ recipient: failedRecipient })).toBe(1);
  });
});
