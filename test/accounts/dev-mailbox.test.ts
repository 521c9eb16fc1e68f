import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { buildTestApp, randomEmail, type TestApp } from '../support/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

describe('GET /dev/mailbox', () => {
  test('lists the messages to an address, newest first, with to, subject, text, html and sentAt', async () => {
    const email = randomEmail();
    await t.container.email.send({ to: email, subject: 'first', text: 'one', html: '<p>one</p>' });
    t.clock.advance(1000);
    await t.container.email.send({
      to: email.toUpperCase(),
      subject: 'second',
      text: 'two',
      html: '<p>two</p>',
    });
    await t.container.email.send({ to: randomEmail(), subject: 'other', text: 'x', html: 'x' });
    const res = await t.call('GET', `/api/v1/dev/mailbox?to=${encodeURIComponent(email)}`);
    expect(res.status).toBe(200);
    expect(res.body.messages).toEqual([
      {
        to: email,
        subject: 'second',
        text: 'two',
        html: '<p>two</p>',
        attachments: [],
        sentAt: t.clock.now().toISOString(),
      },
      {
        to: email,
        subject: 'first',
        text: 'one',
        html: '<p>one</p>',
        attachments: [],
        sentAt: new Date(t.clock.now().getTime() - 1000).toISOString(),
      },
    ]);
  });

  test('shows attachments by name, type and size; a message is kept once per idempotency key', async () => {
    const email = randomEmail();
    const message = {
      to: email,
      subject: 'invite',
      text: 'see the invite',
      html: '<p>see the invite</p>',
      attachments: [
        {
          filename: 'invite.ics',
          contentType: 'text/calendar; method=REQUEST',
          content: 'BEGIN:VCALENDAR\r\n',
        },
      ],
    };
    await t.container.email.send(message, { idempotencyKey: `key-${email}` });
    await t.container.email.send(message, { idempotencyKey: `key-${email}` });
    const res = await t.call('GET', `/api/v1/dev/mailbox?to=${encodeURIComponent(email)}`);
    expect(res.body.messages).toHaveLength(1);
    expect(res.body.messages[0].attachments).toEqual([
      { filename: 'invite.ics', contentType: 'text/calendar; method=REQUEST', size: 17 },
    ]);
  });

  test('an address with no mail -> empty list; no address -> 422', async () => {
    expect((await t.call('GET', `/api/v1/dev/mailbox?to=${randomEmail()}`)).body).toEqual({ messages: [] });
    expect((await t.call('GET', '/api/v1/dev/mailbox')).status).toBe(422);
  });

  test('does not exist (404) unless EMAIL_PROVIDER=dev', async () => {
    const prod = await buildTestApp({
      EMAIL_PROVIDER: 'resend',
      RESEND_API_KEY: 're_x',
      RESEND_BASE_URL: 'http://127.0.0.1:9',
    });
    try {
      const res = await prod.call('GET', `/api/v1/dev/mailbox?to=${randomEmail()}`);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    } finally {
      await prod.close();
    }
  });
});
