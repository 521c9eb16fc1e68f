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
