import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { EmailDeliveryError } from '../../src/providers/email/port.ts';
import { ResendEmailProvider } from '../../src/providers/email/resend.ts';
import { buildTestApp, randomEmail } from '../support/app.ts';
import { type ResendFake, startResendFake } from '../support/fakes/resend.ts';

let fake: ResendFake;
beforeAll(() => {
  fake = startResendFake();
});
afterAll(() => fake.stop());

const provider = () =>
  new ResendEmailProvider({
    apiKey: 're_test_key_123',
    from: 'HealthVision <no-reply@hv.test>',
    baseUrl: fake.url,
  });

describe('Resend adapter (real resend SDK against a loopback fake)', () => {
  test('sends POST /emails with the bearer key and from, to, subject, text and html', async () => {
    const before = fake.received.length;
    await provider().send({
      to: 'asha@example.test',
      subject: 'Hello',
      text: 'Plain body',
      html: '<p>Body</p>',
    });
    expect(fake.received.length).toBe(before + 1);
    const sent = fake.received.at(-1)!;
    expect(sent.authorization).toBe('Bearer re_test_key_123');
    expect(sent.contentType).toContain('application/json');
    expect(sent.userAgent).toStartWith('resend-node:');
    expect(sent.body).toMatchObject({
      from: 'HealthVision <no-reply@hv.test>',
      to: ['asha@example.test'],
      subject: 'Hello',
      text: 'Plain body',
      html: '<p>Body</p>',
    });
  });

  test("a refusal in Resend's error format becomes an EmailDeliveryError with its name", async () => {
    fake.failNext(422, 'validation_error', 'Invalid `to` field.');
    const sending = provider().send({ to: 'x@example.test', subject: 's', text: 't', html: 'h' });
    await expect(sending).rejects.toBeInstanceOf(EmailDeliveryError);
    fake.failNext(403, 'invalid_from_address', 'Domain not verified');
    await expect(
      provider().send({ to: 'x@example.test', subject: 's', text: 't', html: 'h' }),
    ).rejects.toMatchObject({
      providerCode: 'invalid_from_address',
    });
  });

  test('an unreachable API is an EmailDeliveryError too', async () => {
    const dead = new ResendEmailProvider({ apiKey: 're_x', from: 'a@b.test', baseUrl: 'http://127.0.0.1:9' });
    await expect(
      dead.send({ to: 'x@example.test', subject: 's', text: 't', html: 'h' }),
    ).rejects.toBeInstanceOf(EmailDeliveryError);
  });

  test('with EMAIL_PROVIDER=resend, signup emails the code through Resend and the dev mailbox is gone', async () => {
    const t = await buildTestApp({
      EMAIL_PROVIDER: 'resend',
      RESEND_API_KEY: 're_app_key',
      RESEND_BASE_URL: fake.url,
      EMAIL_FROM: 'HealthVision <codes@hv.test>',
    });
    try {
      const email = randomEmail();
      const res = await t.call('POST', '/api/v1/auth/signup', {
        body: { name: 'Asha', email, password: 'correct horse', role: 'patient' },
      });
      expect(res.status).toBe(201);
      await t.container.outboxDeliverer.settled();
      const sent = fake.received.find((r) => (r.body.to as string[]).includes(email))!;
      expect(sent.authorization).toBe('Bearer re_app_key');
      expect(sent.body.from).toBe('HealthVision <codes@hv.test>');
      expect(sent.body.subject).toContain('verification code');
      const code = sent.body.text?.match(/\b\d{6}\b/)?.[0];
      expect(code).toBeDefined();
      expect(sent.body.html).toContain(code!);
      const verified = await t.call('POST', '/api/v1/auth/otp/verify', { body: { email, code } });
      expect(verified.status).toBe(200);

      const mailbox = await t.call('GET', `/api/v1/dev/mailbox?to=${email}`);
      expect(mailbox.status).toBe(404);
    } finally {
      await t.close();
    }
  });

  test('a failed send does not fail signup; it is logged without the code and retried later', async () => {
    const t = await buildTestApp({
      EMAIL_PROVIDER: 'resend',
      RESEND_API_KEY: 're_app_key',
      RESEND_BASE_URL: fake.url,
    });
    try {
      fake.failNext(500, 'application_error', 'Something broke');
      const email = randomEmail();
      const res = await t.call('POST', '/api/v1/auth/signup', {
        body: { name: 'Asha', email, password: 'correct horse', role: 'patient' },
      });
      expect(res.status).toBe(201);
      await t.container.outboxDeliverer.settled();
      const attempt = fake.received.find((r) => (r.body.to as string[]).includes(email))!;
      const code = attempt.body.text!.match(/\b\d{6}\b/)![0];
      const line = t.logger.lines.find((l) => l.msg === 'outbox delivery failed; will retry');
      expect(line).toMatchObject({
        kind: 'email',
        attempts: 1,
        error: 'Resend refused the email: Something broke',
      });
      expect(JSON.stringify(t.logger.lines)).not.toContain(code);
      expect(fake.deliveredTo(email)).toHaveLength(0);
    } finally {
      await t.close();
    }
  });

  test('the message carries its idempotency key and its attachments, as the SDK sends them', async () => {
    const before = fake.delivered.length;
    await provider().send(
      {
        to: 'cal@example.test',
        subject: 'Invite',
        text: 't',
        html: '<p>h</p>',
        attachments: [
          {
            filename: 'invite.ics',
            contentType: 'text/calendar; method=REQUEST',
            content: 'BEGIN:VCALENDAR',
          },
        ],
      },
      { idempotencyKey: 'record-123' },
    );
    const sent = fake.delivered.at(-1)!;
    expect(fake.delivered.length).toBe(before + 1);
    expect(sent.idempotencyKey).toBe('record-123');
    expect(sent.body.attachments).toEqual([
      {
        filename: 'invite.ics',
        content_type: 'text/calendar; method=REQUEST',
        content: Buffer.from('BEGIN:VCALENDAR').toString('base64'),
      },
    ]);
  });

  test('a send that takes longer than its timeout is a transient failure', async () => {
    fake.stallNext(1000);
    const slow = new ResendEmailProvider({
      apiKey: 're_slow',
      from: 'a@b.test',
      baseUrl: fake.url,
      timeoutMs: 50,
    });
    await expect(
      slow.send({ to: 'x@example.test', subject: 's', text: 't', html: 'h' }),
    ).rejects.toMatchObject({
      name: 'EmailDeliveryError',
      permanent: false,
    });
  });

  test('a 4xx refusal is permanent, a 429 or 5xx is not', async () => {
    fake.failNext(422, 'validation_error', 'Invalid `to` field.');
    await expect(
      provider().send({ to: 'x@example.test', subject: 's', text: 't', html: 'h' }),
    ).rejects.toMatchObject({
      permanent: true,
    });
    fake.failNext(429, 'rate_limit_exceeded', 'Too many requests');
    await expect(
      provider().send({ to: 'x@example.test', subject: 's', text: 't', html: 'h' }),
    ).rejects.toMatchObject({
      permanent: false,
    });
    fake.failNext(503, 'application_error', 'Unavailable');
    await expect(
      provider().send({ to: 'x@example.test', subject: 's', text: 't', html: 'h' }),
    ).rejects.toMatchObject({
      permanent: false,
    });
  });
});
