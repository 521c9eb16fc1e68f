import { afterAll, afterEach, beforeAll, expect } from 'bun:test';
import type { ContainerOverrides } from '../../src/container.ts';
import { type PaymentDoc, Payments } from '../../src/modules/payments/payments.model.ts';
import { Wallets } from '../../src/modules/wallet/wallet.model.ts';
import type { TestApp } from './app.ts';
import { approvedDoctor, buildBookingApp, hold, hourFromNow, publishSlots } from './booking.ts';
import { type CreatedUser, createUser } from './factories.ts';
import { type RazorpayFake, startRazorpayFake } from './fakes/razorpay.ts';

/** A booking app whose payment provider is the real Razorpay adapter pointed at a loopback fake. */
export async function buildRazorpayApp(env: Record<string, string> = {}, overrides: ContainerOverrides = {}) {
  const fake = startRazorpayFake();
  const t = await buildBookingApp(
    {
      PAYMENT_PROVIDER: 'razorpay',
      RAZORPAY_KEY_ID: fake.keyId,
      RAZORPAY_KEY_SECRET: fake.keySecret,
      RAZORPAY_WEBHOOK_SECRET: fake.webhookSecret,
      RAZORPAY_BASE_URL: fake.url,
      ...env,
    },
    overrides,
  );
  return { t, fake };
}

/**
 * The hooks of a Razorpay payments suite: one app on the loopback fake for the file, closed after it,
 * and the payments audit after every test. `use` receives them once they are up.
 */
export function razorpaySuite(use: (suite: { t: TestApp; fake: RazorpayFake }) => void): void {
  let suite: { t: TestApp; fake: RazorpayFake } | undefined;
  beforeAll(async () => {
    suite = await buildRazorpayApp();
    use(suite);
  });
  afterAll(async () => {
    await suite?.t.close();
    await suite?.fake.stop();
  });
  afterEach(() => expectAuditClean(suite!.t));
}

export interface HeldAppointment {
  patient: CreatedUser;
  doctor: CreatedUser;
  appointmentId: string;
  slotId: string;
  slotIds: string[];
}

/** An approved doctor charging `feePaise`, `slots` published slots, and a patient holding the first. */
export async function heldAppointment(
  t: TestApp,
  feePaise = 50_000,
  options: { patient?: CreatedUser; slots?: number } = {},
): Promise<HeldAppointment> {
  const doctor = await approvedDoctor(t, { consultationFeePaise: feePaise });
  const slotIds = await publishSlots(t, doctor, hourFromNow(t, 2), options.slots ?? 1);
  const patient = options.patient ?? (await createUser(t, { role: 'patient' }));
  const res = await hold(t, patient, slotIds[0]!);
  expect(res.status).toBe(201);
  return { patient, doctor, appointmentId: res.body.appointment.id, slotId: slotIds[0]!, slotIds };
}

export const checkout = (
  t: TestApp,
  patient: CreatedUser,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
) => t.call('POST', '/api/v1/payments/checkout', { token: patient.accessToken, body, headers });

export const verify = (t: TestApp, patient: CreatedUser, fields: Record<string, string>) =>
  t.call('POST', '/api/v1/payments/razorpay/verify', { token: patient.accessToken, body: fields });

export const deliver = (t: TestApp, hook: { body: string; headers: Record<string, string> }) =>
  t.call('POST', '/api/v1/payments/razorpay/webhook', { body: hook.body, headers: hook.headers });

/** Tops the patient's wallet up by `amountPaise` through Razorpay (the fake) and verify. */
export async function fundWallet(t: TestApp, fake: RazorpayFake, patient: CreatedUser, amountPaise: number) {
  const topup = await t.call('POST', '/api/v1/wallet/topup', {
    token: patient.accessToken,
    body: { amountPaise },
  });
  expect(topup.status).toBe(201);
  const paid = fake.pay(topup.body.order.id);
  const res = await verify(t, patient, fake.checkoutFields(paid));
  expect(res.status).toBe(200);
  expect(res.body.payment.status).toBe('applied');
}

export const storedPayment = async (t: TestApp, id: string): Promise<PaymentDoc> =>
  (await t.container.store.collection(Payments).findById(id))!;

export const storedWallet = (t: TestApp, userId: string) =>
  t.container.store.collection(Wallets).findById(userId);

/** The books balance: the audit over the whole store finds nothing. */
export async function expectAuditClean(t: TestApp): Promise<void> {
  const report = await t.container.paymentsAudit.run();
  expect(report.violations).toEqual([]);
  expect(report.ok).toBe(true);
}

/** What the gateway has refunded of one of its payments, over all its refunds. */
export const gatewayRefunded = (fake: RazorpayFake, gatewayPaymentId: string | undefined): number =>
  fake.refunds.filter((r) => r.payment_id === gatewayPaymentId).reduce((sum, r) => sum + r.amount, 0);

/** The subjects a reader finds in the dev mailbox once the outbox has delivered what is due. */
export async function mailSubjects(t: TestApp, email: string): Promise<string[]> {
  await t.container.outboxDeliverer.settled();
  await t.container.outboxDeliverer.deliverDue();
  const res = await t.call('GET', `/api/v1/dev/mailbox?to=${encodeURIComponent(email)}`);
  return res.body.messages.map((m: { subject: string }) => m.subject);
}
