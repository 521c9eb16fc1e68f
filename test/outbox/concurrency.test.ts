import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collections } from '../../src/container.ts';
import { openStore, Store } from '../../src/db/index.ts';
import { DoctorReviewService } from '../../src/modules/admin/doctor-review.service.ts';
import { Otps } from '../../src/modules/auth/auth.model.ts';
import { emailDraft } from '../../src/modules/outbox/handlers/email.ts';
import { Outbox, type OutboxDoc } from '../../src/modules/outbox/outbox.model.ts';
import { OutboxRepository } from '../../src/modules/outbox/outbox.repository.ts';
import { OutboxService, OutboxWriter } from '../../src/modules/outbox/outbox.service.ts';
import { Users } from '../../src/modules/users/users.model.ts';
import { buildTestApp, randomEmail, type TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { type ResendFake, startResendFake } from '../support/fakes/resend.ts';

let fake: ResendFake;
beforeAll(() => {
  fake = startResendFake();
});
afterAll(() => fake.stop());

describe('two deliverers (two apps on one SQLite file) racing over 200 queued messages', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hv-outbox-race-'));
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const env = {
      DATABASE_URL: `sqlite:${join(dir, 'shared.sqlite')}`,
      EMAIL_PROVIDER: 'resend',
      RESEND_API_KEY: 're_race_key',
      RESEND_BASE_URL: fake.url,
    };
    a = await buildTestApp(env);
    b = await buildTestApp(env);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('each message is sent once: no Idempotency-Key reaches the provider twice', async () => {
    const domain = `race-${crypto.randomUUID().slice(0, 8)}.test`;
    // Written without waking either deliverer, so both start from the same 200 queued records.
    const records = await a.container.store.transaction(async (tx) => {
      const writer = new OutboxWriter(new OutboxRepository(tx), a.clock);
      const written: OutboxDoc[] = [];
      for (let i = 0; i < 200; i++) {
        written.push(
          await writer.enqueue(
            emailDraft({
              to: `reader${i}@${domain}`,
              subject: `Message ${i}`,
              text: `Body ${i}`,
              html: `<p>${i}</p>`,
            }),
          ),
        );
      }
      return written;
    });
    expect(records).toHaveLength(200);

    const [sentByA, sentByB] = await Promise.all([
      a.container.outboxDeliverer.deliverDue(),
      b.container.outboxDeliverer.deliverDue(),
    ]);
    expect(sentByA + sentByB).toBe(200);
    expect(sentByA).toBeGreaterThan(0);
    expect(sentByB).toBeGreaterThan(0);

    const ours = new Set(records.map((r) => r._id));
    const keys = fake.received
      .map((r) => r.idempotencyKey)
      .filter((k): k is string => k !== null && ours.has(k));
    expect(keys).toHaveLength(200);
    expect(new Set(keys).size).toBe(200);
    const stored = await b.container.store.collection(Outbox).findAll({ _id: { $in: [...ours] } });
    expect(stored.every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);
  });
});

class FailsAfterInsert extends OutboxRepository {
  override async insert(doc: Omit<OutboxDoc, '_id'>): Promise<OutboxDoc> {
    await super.insert(doc);
    throw new Error('simulated crash after the outbox write');
  }
}

describe('the outbox record and its state change commit together', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t.close());

  test('a failure after the review and its email were written rolls both back', async () => {
    const c = t.container;
    const admin = await createUser(t, { role: 'admin' });
    const doctor = await createUser(t, { role: 'doctor' });
    const failing = new FailsAfterInsert(c.store);
    const review = new DoctorReviewService(
      c.usersRepo,
      new OutboxService(c.store, failing, c.outboxDeliverer, c.clock, c.logger, 7),
      c.clock,
      c.logger,
      c.config.DEFAULT_TIMEZONE,
    );
    const before = await c.store.collection(Users).findById(doctor.user.id);
    const recordsBefore = await c.store.collection(Outbox).count({ recipient: doctor.email });

    await expect(review.decide(doctor.user.id, 'approved', admin.user.id)).rejects.toThrow('simulated crash');
    expect(await c.store.collection(Users).findById(doctor.user.id)).toEqual(before);
    expect(await c.store.collection(Outbox).count({ recipient: doctor.email })).toBe(recordsBefore);

    // The real service then decides once, with exactly one email.
    const approved = await t.call('POST', `/api/v1/admin/doctors/${doctor.user.id}/approve`, {
      token: admin.accessToken,
    });
    expect(approved.status).toBe(200);
    await c.outboxDeliverer.settled();
    const records = await c.store.collection(Outbox).findAll({ recipient: doctor.email });
    expect(records.filter((r) => r.subject.includes('approved'))).toHaveLength(1);
  });
});

/** A store whose transactions fail after their function ran, before commit, when they wrote an outbox record. */
class CrashesBeforeCommittingMail extends Store {
  crashes = 0;

  override async transaction<R>(fn: (tx: Store) => Promise<R>): Promise<R> {
    const before = await this.collection(Outbox).count();
    return super.transaction(async (tx) => {
      const result = await fn(tx);
      if ((await tx.collection(Outbox).count()) > before) {
        this.crashes++;
        throw new Error('simulated crash before commit');
      }
      return result;
    });
  }
}

describe('signup whose transaction fails after the account and its email were written', () => {
  let t: TestApp;
  let store: CrashesBeforeCommittingMail;
  beforeAll(async () => {
    const plain = await openStore('sqlite::memory:', collections);
    store = new CrashesBeforeCommittingMail(plain.engine);
    t = await buildTestApp({}, { store });
  });
  afterAll(() => t.close());

  test('leaves no account, no code and no email behind', async () => {
    const email = randomEmail();
    const res = await t.call('POST', '/api/v1/auth/signup', {
      body: { name: 'Rolled Back', email, password: 'correct horse', role: 'patient' },
    });
    expect(res.status).toBe(500);
    expect(store.crashes).toBe(1);
    expect(await t.container.usersRepo.findByEmail(email)).toBeNull();
    expect(await store.collection(Otps).count({ email })).toBe(0);
    expect(await store.collection(Outbox).count({ recipient: email })).toBe(0);
    await t.container.outboxDeliverer.settled();
    expect((await t.call('GET', `/api/v1/dev/mailbox?to=${email}`)).body.messages).toEqual([]);
  });
});
