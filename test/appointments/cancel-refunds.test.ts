import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { refundDue } from '../../src/modules/payments/cancellations.service.ts';
import { Refunds } from '../../src/modules/payments/refunds.model.ts';
import { WalletEntries } from '../../src/modules/wallet/wallet.model.ts';
import type { TestApp } from '../support/app.ts';
import { HOUR, MINUTE, storedAppointment, storedSlot } from '../support/booking.ts';
import { type Confirmed, confirmedAppointment, type PaidBy } from '../support/confirmed.ts';
import { createUser } from '../support/factories.ts';
import type { RazorpayFake } from '../support/fakes/razorpay.ts';
import {
  buildRazorpayApp,
  deliver,
  expectAuditClean,
  gatewayRefunded,
  mailSubjects,
  storedPayment,
  storedWallet,
} from '../support/payments.ts';

let t: TestApp;
let fake: RazorpayFake;
beforeAll(async () => {
  // Tokens outlive the days this file moves the clock through.
  ({ t, fake } = await buildRazorpayApp({
    ACCESS_TOKEN_TTL_SECONDS: String(10 * 365 * 86_400),
    REFRESH_TOKEN_TTL_SECONDS: String(10 * 365 * 86_400),
  }));
});
afterAll(async () => {
  await t.close();
  await fake.stop();
});
afterEach(() => expectAuditClean(t));

const FEE = 50_001;
const cancel = (token: string, id: string, body?: Record<string, unknown>) =>
  t.call('POST', `/api/v1/appointments/${id}/cancel`, { token, ...(body ? { body } : {}) });
const refundedAtGateway = (gatewayPaymentId: string | undefined) => gatewayRefunded(fake, gatewayPaymentId);

const subjectsTo = (email: string) => mailSubjects(t, email);

describe('the policy', () => {
  const policy = { fullHours: 24, latePercent: 50 };
  const start = new Date('2030-01-10T10:00:00.000Z');
  const before = (ms: number) => new Date(start.getTime() - ms);
  test('exactly REFUND_FULL_HOURS before is full, a millisecond later is late, the start itself is after', () => {
    expect(refundDue(policy, 'patient', 999, start, before(24 * HOUR))).toMatchObject({ amountPaise: 999 });
    expect(refundDue(policy, 'patient', 999, start, before(24 * HOUR - 1))).toMatchObject({
      amountPaise: 500,
      rule: 'late_notice',
    });
    expect(refundDue(policy, 'patient', 999, start, start)).toMatchObject({
      amountPaise: 0,
      rule: 'after_start',
    });
    expect(refundDue(policy, 'doctor', 999, start, new Date(start.getTime() + HOUR)).amountPaise).toBe(999);
    expect(
      refundDue({ fullHours: 24, latePercent: 33 }, 'patient', 100, start, before(HOUR)).amountPaise,
    ).toBe(33);
    expect(
      refundDue({ fullHours: 24, latePercent: 33 }, 'patient', 101, start, before(HOUR)).amountPaise,
    ).toBe(34);
  });
});

type Who = 'patient' | 'doctor' | 'admin';
const CASES: [name: string, who: Who, before: number, percent: number, rule: string][] = [
  ['the patient 25 h before', 'patient', 25 * HOUR, 100, 'full_notice'],
  ['the patient 3 h before', 'patient', 3 * HOUR, 50, 'late_notice'],
  ['the patient after the start', 'patient', -5 * MINUTE, 0, 'after_start'],
  ['the doctor 3 h before', 'doctor', 3 * HOUR, 100, 'doctor'],
  ['an admin 3 h before', 'admin', 3 * HOUR, 100, 'admin'],
];
const METHODS: PaidBy[] = ['wallet', 'razorpay', 'hybrid'];

describe('refund matrix', () => {
  for (const [name, who, before, percent, rule] of CASES)
    for (const method of METHODS)
      for (const refundTo of [undefined, 'wallet'] as const)
        test(`${name}, paid by ${method}${refundTo ? ', refundTo wallet' : ''}: ${percent}%`, async () => {
          const c: Confirmed = await confirmedAppointment(t, fake, method, FEE);
          const admin = await createUser(t, { role: 'admin' });
          const token = { patient: c.patient, doctor: c.doctor, admin }[who].accessToken;
          const paid = await storedPayment(t, c.paymentId);
          const walletBefore = (await storedWallet(t, c.patient.user.id))?.balancePaise ?? 0;
          t.clock.set(new Date(c.startsAt.getTime() - before));

          const res = await cancel(
            token,
            c.appointmentId,
            refundTo ? { refundTo } : { reason: 'Cannot make it' },
          );
          expect(res.status).toBe(200);
          // Whole paise, in the patient's favour: 50% of 50 001 is 25 001.
          const amount = Math.ceil((FEE * percent) / 100);
          const toWallet =
            refundTo === 'wallet' || method === 'wallet' ? amount : Math.min(amount, paid.walletPaise);
          const toGateway = amount - toWallet;
          expect(res.body.appointment).toMatchObject({ status: 'cancelled', cancelledBy: who });
          expect(res.body.refund).toMatchObject({
            paymentId: c.paymentId,
            amountPaise: amount,
            walletPaise: toWallet,
            gatewayPaise: toGateway,
            status: toGateway > 0 ? 'pending' : 'processed',
            rule,
          });
          expect(res.body.refund.reason).toContain(percent ? `${percent}% refund` : 'no refund');
          const stored = await t.container.store.collection(Refunds).findById(res.body.refund.id);
          expect(stored).toMatchObject({
            amountPaise: amount,
            walletPaise: toWallet,
            gatewayPaise: toGateway,
          });
          expect((await storedWallet(t, c.patient.user.id))?.balancePaise ?? 0).toBe(walletBefore + toWallet);
          const entries = await t.container.store
            .collection(WalletEntries)
            .findAll({ key: `refund:${c.paymentId}` });
          expect(entries.map((e) => e.amountPaise)).toEqual(toWallet > 0 ? [toWallet] : []);
          expect((await storedPayment(t, c.paymentId)).status).toBe(
            amount === 0 ? 'applied' : amount === FEE ? 'refunded' : 'partially_refunded',
          );
          expect((await storedAppointment(t, c.appointmentId)).status).toBe('cancelled');
          expect((await storedSlot(t, c.slotId)).status).toBe('open');

          await t.container.outboxDeliverer.settled();
          await t.container.outboxDeliverer.deliverDue();
          expect(refundedAtGateway(c.gatewayPaymentId)).toBe(toGateway);
          const again = await cancel(token, c.appointmentId);
          expect(again.status).toBe(409);
          expect(again.body.error).toMatchObject({
            code: 'APPOINTMENT_NOT_CANCELLABLE',
            details: { status: 'cancelled' },
          });
          await t.container.outboxDeliverer.deliverDue();
          expect(refundedAtGateway(c.gatewayPaymentId)).toBe(toGateway);
          const notice = await t.call('GET', `/api/v1/dev/mailbox?to=${encodeURIComponent(c.patient.email)}`);
          const subjects = notice.body.messages.map((m: { subject: string }) => m.subject);
          expect(subjects.some((s: string) => s.startsWith('Refund for your cancelled appointment'))).toBe(
            true,
          );
          expect(subjects.some((s: string) => s.startsWith('Appointment cancelled'))).toBe(true);
        });
});

describe('cancelling a confirmed appointment', () => {
  test('10 concurrent cancels: one 200, nine 409, one refund', async () => {
    const c = await confirmedAppointment(t, fake, 'hybrid', 40_000);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => cancel(c.patient.accessToken, c.appointmentId)),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, ...Array(9).fill(409)]);
    expect(await t.container.store.collection(Refunds).count({ paymentId: c.paymentId })).toBe(1);
    await t.container.outboxDeliverer.settled();
    await t.container.outboxDeliverer.deliverDue();
    expect(refundedAtGateway(c.gatewayPaymentId)).toBe(20_000);
  });

  test('another patient or another doctor: 404; the refund is readable by its owner and admins only', async () => {
    const c = await confirmedAppointment(t, fake, 'razorpay', 30_000);
    const stranger = await createUser(t, { role: 'patient' });
    const otherDoctor = await createUser(t, { role: 'doctor', approved: true });
    for (const user of [stranger, otherDoctor])
      expect((await cancel(user.accessToken, c.appointmentId)).status).toBe(404);
    expect((await storedAppointment(t, c.appointmentId)).status).toBe('confirmed');
    const res = await cancel(c.doctor.accessToken, c.appointmentId, { reason: 'Unwell' });
    expect(res.status).toBe(200);
    const id = res.body.refund.id;
    expect(
      (await t.call('GET', `/api/v1/refunds/${id}`, { token: c.patient.accessToken })).body.refund,
    ).toEqual(res.body.refund);
    expect((await t.call('GET', `/api/v1/refunds/${id}`, { token: stranger.accessToken })).status).toBe(404);
    const admin = await createUser(t, { role: 'admin' });
    expect((await t.call('GET', `/api/v1/refunds/${id}`, { token: admin.accessToken })).status).toBe(200);
    expect((await cancel(c.patient.accessToken, c.appointmentId, { refundTo: 'bank' })).status).toBe(422);
  });
});

describe('gateway refunds', () => {
  test('Razorpay down: the refund stays pending and goes through once after recovery; refund.processed settles it', async () => {
    const c = await confirmedAppointment(t, fake, 'razorpay', 30_000);
    fake.goDown();
    const res = await cancel(c.patient.accessToken, c.appointmentId);
    expect(res.status).toBe(200);
    await t.container.outboxDeliverer.settled();
    await t.container.outboxDeliverer.deliverDue();
    expect(refundedAtGateway(c.gatewayPaymentId)).toBe(0);
    expect((await t.container.store.collection(Refunds).findById(res.body.refund.id))?.status).toBe(
      'pending',
    );
    fake.recover();
    t.clock.advance(HOUR);
    await t.container.outboxDeliverer.deliverDue();
    t.clock.advance(HOUR);
    await t.container.outboxDeliverer.deliverDue();
    const made = fake.refunds.filter((r) => r.payment_id === c.gatewayPaymentId);
    expect(made.map((r) => r.amount)).toEqual([30_000]);
    expect((await deliver(t, fake.refundWebhook('refund.processed', made[0]!))).status).toBe(200);
    expect(await t.container.store.collection(Refunds).findById(res.body.refund.id)).toMatchObject({
      status: 'processed',
      gatewayRefundId: made[0]!.id,
    });
    expect(await subjectsTo(c.patient.email)).toContain('Your refund is processed');
  });

  test('refund.failed: listed for admins, retried once, then refused', async () => {
    const c = await confirmedAppointment(t, fake, 'razorpay', 30_000);
    const res = await cancel(c.patient.accessToken, c.appointmentId);
    await t.container.outboxDeliverer.settled();
    await t.container.outboxDeliverer.deliverDue();
    const first = fake.refunds.filter((r) => r.payment_id === c.gatewayPaymentId);
    expect(first).toHaveLength(1);
    // The gateway gave the money back to us: the failed refund is undone at the fake as at Razorpay.
    fake.payments.get(c.gatewayPaymentId!)!.amount_refunded = 0;
    fake.payments.get(c.gatewayPaymentId!)!.status = 'captured';
    expect((await deliver(t, fake.refundWebhook('refund.failed', first[0]!))).status).toBe(200);
    expect(await subjectsTo(c.patient.email)).toContain('Your refund needs our attention');
    const admin = await createUser(t, { role: 'admin' });
    const listed = await t.call('GET', '/api/v1/admin/refunds?status=failed', { token: admin.accessToken });
    expect(listed.body.items.map((r: { id: string }) => r.id)).toContain(res.body.refund.id);
    expect((await t.call('GET', '/api/v1/admin/refunds', { token: c.patient.accessToken })).status).toBe(403);
    const retried = await t.call('POST', `/api/v1/admin/refunds/${res.body.refund.id}/retry`, {
      token: admin.accessToken,
    });
    expect(retried.status).toBe(200);
    expect(retried.body.refund.status).toBe('pending');
    await t.container.outboxDeliverer.settled();
    await t.container.outboxDeliverer.deliverDue();
    const all = fake.refunds.filter((r) => r.payment_id === c.gatewayPaymentId);
    expect(all).toHaveLength(2);
    expect(all[1]!.receipt).not.toBe(all[0]!.receipt);
    // An event about the first, superseded request changes nothing.
    await deliver(t, fake.refundWebhook('refund.processed', all[0]!));
    expect((await t.container.store.collection(Refunds).findById(res.body.refund.id))?.status).toBe(
      'pending',
    );
    await deliver(t, fake.refundWebhook('refund.failed', all[1]!));
    const again = await t.call('POST', `/api/v1/admin/refunds/${res.body.refund.id}/retry`, {
      token: admin.accessToken,
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('REFUND_NOT_RETRYABLE');
  });
});
