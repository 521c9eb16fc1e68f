import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { storedAppointment, storedSlot } from '../support/booking.ts';
import { createUser } from '../support/factories.ts';
import type { RazorpayFake } from '../support/fakes/razorpay.ts';
import {
  buildRazorpayApp,
  checkout,
  expectAuditClean,
  fundWallet,
  heldAppointment,
  storedWallet,
} from '../support/payments.ts';

let t: Awaited<ReturnType<typeof buildRazorpayApp>>['t'];
let fake: RazorpayFake;
beforeAll(async () => {
  ({ t, fake } = await buildRazorpayApp({ MAX_HOLDS_PER_PATIENT: '20' }));
});
afterAll(async () => {
  await t.close();
  await fake.stop();
});
afterEach(() => expectAuditClean(t));

describe('wallet checkout', () => {
  test('a funded wallet pays: 200 confirmed, slot booked, one debit entry, the confirmation email queued', async () => {
    const held = await heldAppointment(t, 40_000);
    await fundWallet(t, fake, held.patient, 50_000);
    const res = await checkout(t, held.patient, { appointmentId: held.appointmentId, method: 'wallet' });
    expect(res.status).toBe(200);
    expect(res.body.appointment).toMatchObject({ id: held.appointmentId, status: 'confirmed' });
    expect(res.body.payment).toMatchObject({
      purpose: 'appointment',
      method: 'wallet',
      amountPaise: 40_000,
      walletPaise: 40_000,
      gatewayPaise: 0,
      status: 'applied',
    });
    expect((await storedAppointment(t, held.appointmentId)).status).toBe('confirmed');
    expect(await storedSlot(t, held.slotId)).toMatchObject({ status: 'booked', heldBy: held.appointmentId });
    expect(await storedWallet(t, held.patient.user.id)).toMatchObject({
      balancePaise: 10_000,
      reservedPaise: 0,
      availablePaise: 10_000,
    });
    const wallet = await t.call('GET', '/api/v1/wallet', { token: held.patient.accessToken });
    expect(wallet.body).toEqual({
      wallet: { balancePaise: 10_000, reservedPaise: 0, availablePaise: 10_000 },
    });
    const ledger = await t.call('GET', '/api/v1/wallet/transactions', { token: held.patient.accessToken });
    expect(
      ledger.body.items.map((e: { kind: string; amountPaise: number; balanceAfterPaise: number }) => [
        e.kind,
        e.amountPaise,
        e.balanceAfterPaise,
      ]),
    ).toEqual([
      ['debit', -40_000, 10_000],
      ['topup', 50_000, 50_000],
    ]);
    expect(ledger.body.items[0].ref).toEqual({ type: 'payment', id: res.body.payment.id });
    await t.container.outboxDeliverer.settled();
    const mail = await t.call('GET', `/api/v1/dev/mailbox?to=${encodeURIComponent(held.patient.email)}`);
    const booked = mail.body.messages.find((m: { subject: string }) =>
      m.subject.startsWith('Appointment confirmed'),
    );
    expect(booked.text).toContain('INR 400.00');
    expect(booked.text).toContain(res.body.payment.id);
  });

  test('a short wallet -> 402 INSUFFICIENT_FUNDS and nothing changes', async () => {
    const held = await heldAppointment(t, 40_000);
    await fundWallet(t, fake, held.patient, 30_000);
    const res = await checkout(t, held.patient, { appointmentId: held.appointmentId, method: 'wallet' });
    expect(res.status).toBe(402);
    expect(res.body.error).toMatchObject({ code: 'INSUFFICIENT_FUNDS', details: { availablePaise: 30_000 } });
    expect((await storedAppointment(t, held.appointmentId)).status).toBe('pending_payment');
    expect((await storedSlot(t, held.slotId)).status).toBe('held');
    expect((await storedWallet(t, held.patient.user.id))?.balancePaise).toBe(30_000);
  });

  test("someone else's appointment -> 404; a lapsed hold or a paid one -> 409 APPOINTMENT_NOT_PAYABLE", async () => {
    const held = await heldAppointment(t, 10_000);
    await fundWallet(t, fake, held.patient, 50_000);
    const stranger = await createUser(t, { role: 'patient' });
    const other = await checkout(t, stranger, { appointmentId: held.appointmentId, method: 'wallet' });
    expect([other.status, other.body.error.code]).toEqual([404, 'APPOINTMENT_NOT_FOUND']);
    const paid = await checkout(t, held.patient, { appointmentId: held.appointmentId, method: 'wallet' });
    expect(paid.status).toBe(200);
    const again = await checkout(t, held.patient, { appointmentId: held.appointmentId, method: 'wallet' });
    expect([again.status, again.body.error.code, again.body.error.details]).toEqual([
      409,
      'APPOINTMENT_NOT_PAYABLE',
      { status: 'confirmed' },
    ]);
    const lapsing = await heldAppointment(t, 10_000, { patient: held.patient });
    t.clock.advance(16 * 60_000);
    const late = await checkout(t, held.patient, { appointmentId: lapsing.appointmentId, method: 'wallet' });
    expect([late.status, late.body.error.code]).toEqual([409, 'APPOINTMENT_NOT_PAYABLE']);
    expect((await storedWallet(t, held.patient.user.id))?.balancePaise).toBe(40_000);
  });

  test('walletPaise with the wallet or razorpay method, or a bad method -> 422, nothing changes', async () => {
    const held = await heldAppointment(t, 10_000);
    for (const body of [
      { appointmentId: held.appointmentId, method: 'wallet', walletPaise: 100 },
      { appointmentId: held.appointmentId, method: 'razorpay', walletPaise: 100 },
      { appointmentId: held.appointmentId, method: 'cash' },
      { appointmentId: held.appointmentId, method: 'hybrid', walletPaise: -5 },
      { appointmentId: held.appointmentId, method: 'hybrid', walletPaise: 9_950 },
    ]) {
      const res = await checkout(t, held.patient, body);
      expect({ body, status: res.status, code: res.body.error?.code }).toEqual({
        body,
        status: 422,
        code: 'VALIDATION_FAILED',
      });
    }
    expect((await storedAppointment(t, held.appointmentId)).status).toBe('pending_payment');
  });

  test('balance 500, 20 concurrent wallet checkouts of 400 for 20 holds -> exactly one succeeds, balance 100', async () => {
    const patient = await createUser(t, { role: 'patient' });
    await fundWallet(t, fake, patient, 500);
    const holds = [];
    for (let i = 0; i < 20; i++) holds.push(await heldAppointment(t, 400, { patient }));
    const results = await Promise.all(
      holds.map((h) => checkout(t, patient, { appointmentId: h.appointmentId, method: 'wallet' })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 402)).toHaveLength(19);
    expect(await storedWallet(t, patient.user.id)).toMatchObject({ balancePaise: 100, availablePaise: 100 });
    const confirmed = await Promise.all(holds.map((h) => storedAppointment(t, h.appointmentId)));
    expect(confirmed.filter((a) => a.status === 'confirmed')).toHaveLength(1);
  });
});
