import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { emailDraft } from '../../src/modules/outbox/handlers/email.ts';
import { Outbox } from '../../src/modules/outbox/outbox.model.ts';
import { OutboxRepository } from '../../src/modules/outbox/outbox.repository.ts';
import { OutboxWriter } from '../../src/modules/outbox/outbox.service.ts';
import { Users } from '../../src/modules/users/users.model.ts';
import { UsersRepository } from '../../src/modules/users/users.repository.ts';
import { ManualClock } from '../../src/shared/clock.ts';
import { RerunningStore, type TestStore, testEngines } from '../support/store.ts';

class Rollback extends Error {}

// Part of the conformance suite: SQLite always, MongoDB too when TEST_MONGODB_URI names a replica set.
for (const engine of testEngines()) {
  describe(`outbox writes in a transaction on ${engine.kind}`, () => {
    let opened: TestStore;
    const clock = new ManualClock(new Date('2026-03-01T09:00:00Z'));
    beforeAll(async () => {
      opened = await engine.open([Users, Outbox]);
    });
    afterAll(() => opened.dispose());

    const pendingDoctor = async () => {
      const now = clock.now();
      return new UsersRepository(opened.store).create({
        email: `dr.${crypto.randomUUID().slice(0, 8)}@example.test`,
        name: 'Dr Rao',
        role: 'doctor',
        passwordHash: 'x',
        emailVerified: true,
        doctor: {
          specialty: 'General Medicine',
          registrationNumber: 'REG-1',
          consultationFeePaise: 1000,
          timezone: 'Asia/Kolkata',
          approvalStatus: 'pending',
        },
        createdAt: now,
        updatedAt: now,
      });
    };

    const review = (store: typeof opened.store, doctorId: string, email: string, fail: boolean) =>
      store.transaction(async (tx) => {
        const reviewed = await new UsersRepository(tx).reviewDoctor(doctorId, 'approved', {
          by: 'admin',
          at: clock.now(),
        });
        await new OutboxWriter(new OutboxRepository(tx), clock).enqueue(
          emailDraft({ to: email, subject: 'approved', text: 'yes', html: '<p>yes</p>' }),
        );
        if (fail) throw new Rollback('a failure after the state change');
        return reviewed;
      });

    test('a failure after the state change rolls back the change and its outbox record together', async () => {
      const doctor = await pendingDoctor();
      await expect(review(opened.store, doctor._id, doctor.email, true)).rejects.toBeInstanceOf(Rollback);
      expect(await opened.store.collection(Users).findById(doctor._id)).toEqual(doctor);
      expect(await opened.store.collection(Outbox).count({ recipient: doctor.email })).toBe(0);
    });

    test('a commit makes both visible', async () => {
      const doctor = await pendingDoctor();
      await review(opened.store, doctor._id, doctor.email, false);
      expect((await opened.store.collection(Users).findById(doctor._id))?.doctor?.approvalStatus).toBe(
        'approved',
      );
      const records = await opened.store.collection(Outbox).findAll({ recipient: doctor.email });
      expect(records.map((r) => [r.status, r.attempts])).toEqual([['queued', 0]]);
    });

    test('a transaction run twice (a retried write conflict) leaves one record', async () => {
      const doctor = await pendingDoctor();
      const rerunning = new RerunningStore(opened.store.engine);
      await review(rerunning, doctor._id, doctor.email, false);
      expect(rerunning.reruns).toBe(1);
      expect(await opened.store.collection(Outbox).count({ recipient: doctor.email })).toBe(1);
    });
  });
}
