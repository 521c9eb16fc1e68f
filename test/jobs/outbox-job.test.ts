import { afterAll, beforeAll, expect, test } from 'bun:test';
import { jobSpecs } from '../../src/jobs/index.ts';
import { emailDraft } from '../../src/modules/outbox/handlers/email.ts';
import { Outbox } from '../../src/modules/outbox/outbox.model.ts';
import { OutboxRepository } from '../../src/modules/outbox/outbox.repository.ts';
import { OutboxWriter } from '../../src/modules/outbox/outbox.service.ts';
import { buildTestApp, randomEmail, type TestApp } from '../support/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ OUTBOX_POLL_SECONDS: '7' });
});
afterAll(() => t.close());

test('the outbox job runs every OUTBOX_POLL_SECONDS and delivers what no commit woke it for', async () => {
  const job = jobSpecs(t.container).find((spec) => spec.name === 'outbox')!;
  expect(job.everySeconds).toBe(7);
  const email = randomEmail();
  // Written by another instance, say: nothing in this process was woken.
  const record = await t.container.store.transaction((tx) =>
    new OutboxWriter(new OutboxRepository(tx), t.clock).enqueue(
      emailDraft({ to: email, subject: 'from the tick', text: 'hello', html: '<p>hello</p>' }),
    ),
  );
  expect((await t.container.store.collection(Outbox).findById(record._id))!.status).toBe('queued');
  await job.run();
  expect((await t.container.store.collection(Outbox).findById(record._id))!.status).toBe('sent');
  const res = await t.call('GET', `/api/v1/dev/mailbox?to=${encodeURIComponent(email)}`);
  expect(res.body.messages.map((m: { subject: string }) => m.subject)).toEqual(['from the tick']);
});

test('OUTBOX_* settings: defaults, and a max retry delay below the base is refused', async () => {
  const { loadConfig } = await import('../../src/config.ts');
  const config = loadConfig({ DATA_DIR: t.dataDir });
  expect([
    config.OUTBOX_POLL_SECONDS,
    config.OUTBOX_LEASE_SECONDS,
    config.OUTBOX_RETRY_BASE_SECONDS,
    config.OUTBOX_RETRY_MAX_SECONDS,
    config.OUTBOX_MAX_ATTEMPTS,
    config.OUTBOX_KEEP_DAYS,
  ]).toEqual([5, 60, 30, 3600, 8, 7]);
  expect(() =>
    loadConfig({ DATA_DIR: t.dataDir, OUTBOX_RETRY_BASE_SECONDS: '600', OUTBOX_RETRY_MAX_SECONDS: '60' }),
  ).toThrow('OUTBOX_RETRY_MAX_SECONDS');
});
