import { expect } from 'bun:test';
import type { TestApp } from './app.ts';
import { type CreatedUser, createUser } from './factories.ts';
import type { RazorpayFake } from './fakes/razorpay.ts';
import { checkout, fundWallet, type HeldAppointment, heldAppointment, verify } from './payments.ts';

export type PaidBy = 'wallet' | 'razorpay' | 'hybrid';

export interface Confirmed extends HeldAppointment {
  paymentId: string;
  startsAt: Date;
  gatewayPaymentId?: string;
}

/** Pays for the held appointment by `method` (hybrid: `walletPaise` from the wallet, the rest by Razorpay). */
export async function pay(
  t: TestApp,
  fake: RazorpayFake,
  patient: CreatedUser,
  appointmentId: string,
  method: PaidBy,
  walletPaise?: number,
): Promise<{ paymentId: string; gatewayPaymentId?: string }> {
  const res = await checkout(t, patient, {
    appointmentId,
    method,
    ...(method === 'hybrid' ? { walletPaise } : {}),
  });
  expect(res.status).toBe(method === 'wallet' ? 200 : 201);
  if (method === 'wallet') return { paymentId: res.body.payment.id };
  const paid = fake.pay(res.body.order.id);
  const verified = await verify(t, patient, fake.checkoutFields(paid));
  expect(verified.status).toBe(200);
  expect(verified.body.appointment.status).toBe('confirmed');
  return { paymentId: res.body.payment.id, gatewayPaymentId: paid.id };
}

/** A confirmed appointment of a `feePaise` doctor, about two days ahead, paid by `method`. */
export async function confirmedAppointment(
  t: TestApp,
  fake: RazorpayFake,
  method: PaidBy,
  feePaise = 50_000,
  options: { slots?: number } = {},
): Promise<Confirmed> {
  const patient = await createUser(t, { role: 'patient' });
  const walletPaise = method === 'wallet' ? feePaise : method === 'hybrid' ? Math.floor(feePaise / 2) : 0;
  if (walletPaise > 0) await fundWallet(t, fake, patient, walletPaise);
  const held = await heldAppointment(t, feePaise, { patient, ...options });
  const paid = await pay(t, fake, patient, held.appointmentId, method, walletPaise);
  const appointment = await t.call('GET', `/api/v1/appointments/${held.appointmentId}`, {
    token: patient.accessToken,
  });
  return { ...held, ...paid, startsAt: new Date(appointment.body.appointment.startsAt) };
}
