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
      { to: email, subject: 'second', text: 'two', html: '<p>two</p>', sentAt: t.clock.now().toISOString() },
      {
        to: email,
        subject: 'first',
        text: 'one',
        html: '<p>one</p>',
        sentAt: new Date(t.clock.now().getTime() - 1000).toISOString(),
      },
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
