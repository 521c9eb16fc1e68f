import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WalletEntries } from '../../src/modules/wallet/wallet.model.ts';
import { ROOT } from '../lifecycle/server-process.ts';
import type { TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import type { RazorpayFake } from '../support/fakes/razorpay.ts';
import {
  buildRazorpayApp,
  checkout,
  expectAuditClean,
  fundWallet,
  heldAppointment,
} from '../support/payments.ts';

let t: TestApp;
let fake: RazorpayFake;
beforeAll(async () => {
  ({ t, fake } = await buildRazorpayApp());
});
afterAll(async () => {
  await t.close();
  await fake.stop();
});

describe('the payments audit', () => {
  test('GET /admin/payments/audit: admins only; clean after payments', async () => {
    const held = await heldAppointment(t, 20_000);
    await fundWallet(t, fake, held.patient, 20_000);
    expect(
      (await checkout(t, held.patient, { appointmentId: held.appointmentId, method: 'wallet' })).status,
    ).toBe(200);
    const admin = await createUser(t, { role: 'admin' });
    const res = await t.call('GET', '/api/v1/admin/payments/audit', { token: admin.accessToken });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, violations: [] });
    expect(res.body.checked.wallets).toBeGreaterThanOrEqual(1);
    expect(res.body.checked.payments).toBeGreaterThanOrEqual(2);
    const denied = await t.call('GET', '/api/v1/admin/payments/audit', { token: held.patient.accessToken });
    expect(denied.status).toBe(403);
    const listing = await t.call('GET', '/api/v1/admin/payments?status=applied', {
      token: admin.accessToken,
    });
    expect(listing.body.items.length).toBeGreaterThanOrEqual(2);
    expect(listing.body.items.every((p: { status: string }) => p.status === 'applied')).toBe(true);
  });

  test('a corrupted ledger entry is named: the wallet whose balance no longer matches its entries', async () => {
    const patient = await createUser(t, { role: 'patient' });
    await fundWallet(t, fake, patient, 9_000);
    await expectAuditClean(t);
    const entries = t.container.store.collection(WalletEntries);
    const entry = (await entries.findOne({ walletId: patient.user.id, kind: 'topup' }))!;
    await entries.updateOne({ _id: entry._id }, { $set: { amountPaise: 9_500 } });
    const report = await t.container.paymentsAudit.run();
    expect(report.ok).toBe(false);
    expect(report.violations).toContainEqual({
      invariant: 'wallet_balance_matches_ledger',
      ref: { type: 'wallet', id: patient.user.id },
      detail: 'balance 9000, money entries sum to 9500',
    });
    expect(report.violations).toContainEqual(
      expect.objectContaining({ invariant: 'topup_is_credited', ref: { type: 'payment', id: entry.ref.id } }),
    );
    await entries.updateOne({ _id: entry._id }, { $set: { amountPaise: 9_000 } });
    await expectAuditClean(t);
  });

  test('bun run audit prints the same report and exits 0 on a clean store', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hv-audit-'));
    try {
      const proc = Bun.spawn(['bun', 'run', 'audit'], {
        cwd: ROOT,
        env: { ...process.env, NODE_ENV: 'test', DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
        stdout: 'pipe',
        stderr: 'pipe',
      });
      const [stdout, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
      expect(code).toBe(0);
      expect(JSON.parse(stdout.slice(stdout.indexOf('{')))).toMatchObject({ ok: true, violations: [] });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 30_000);
});
