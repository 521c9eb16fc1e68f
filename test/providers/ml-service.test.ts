import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Outbox } from '../../src/modules/outbox/outbox.model.ts';
import { CLINICAL_DISCLAIMER } from '../../src/providers/ml/port.ts';
import { buildTestApp, type TestApp } from '../support/app.ts';
import { type CreatedUser, createUser } from '../support/factories.ts';
import { FAKE_FINDINGS, type MlServiceFake, startMlServiceFake } from '../support/fakes/ml-service.ts';
import { sampleReport, uploadReport } from '../support/reports.ts';

let ml: MlServiceFake;
let t: TestApp;
const env = () => ({
  ML_PROVIDER: 'http',
  ML_SERVICE_URL: ml.url,
  ML_API_KEY: ml.apiKey,
  ML_TIMEOUT_MS: '300',
  ML_MAX_ATTEMPTS: '3',
  ML_RETRY_BASE_SECONDS: '10',
});
beforeAll(async () => {
  ml = startMlServiceFake();
  t = await buildTestApp(env());
});
afterAll(async () => {
  await t.close();
  await ml.stop();
});
beforeEach(() => {
  ml.mode = 'ok';
});

const reportOf = async (app: TestApp, patient: CreatedUser, id: string) =>
  (await app.call('GET', `/api/v1/reports/${id}`, { token: patient.accessToken })).body.report;
const analysisRecord = async (app: TestApp, reportId: string) =>
  (await app.container.store.collection(Outbox).findAll({ kind: 'analyze_report' })).find((r) =>
    r.body?.includes(reportId),
  )!;

describe('the HTTP ML adapter against a loopback ML service', () => {
  test('analyzes: bearer key, the file and its type sent, the answer validated and stored as source "ml"', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const bytes = await sampleReport();
    const res = await uploadReport(t, patient, bytes);
    await t.container.outboxDeliverer.settled();
    const call = ml.received.findLast((r) => r.path === '/analyze')!;
    expect(call.authorization).toBe(`Bearer ${ml.apiKey}`);
    expect(call.body.report).toEqual({
      contentType: 'application/pdf',
      bytesBase64: Buffer.from(bytes).toString('base64'),
    });
    const report = await reportOf(t, patient, res.body.report.id);
    expect(report.status).toBe('analyzed');
    expect(report.analysis).toMatchObject({ source: 'ml', findings: FAKE_FINDINGS });
  });

  test.each([
    ['down', 'ML_UNAVAILABLE'],
    ['slow', 'ML_UNAVAILABLE'],
    ['malformed', 'ML_MALFORMED'],
  ] as const)(
    '%s: retried with exponential backoff from ML_RETRY_BASE_SECONDS, analyzing while attempts remain, then analysis_failed (%s)',
    async (mode, reason) => {
      const patient = await createUser(t, { role: 'patient' });
      ml.mode = mode;
      const res = await uploadReport(t, patient, await sampleReport());
      expect(res.status).toBe(201);
      const id = res.body.report.id;
      await t.container.outboxDeliverer.settled();
      for (let attempt = 1; attempt < 3; attempt++) {
        const record = await analysisRecord(t, id);
        expect(record).toMatchObject({ status: 'queued', attempts: attempt, lastError: reason });
        // Equal jitter: between half and all of base * 2^(attempt-1).
        const wait = (record.nextAttemptAt.getTime() - t.clock.now().getTime()) / 1000;
        const cap = 10 * 2 ** (attempt - 1);
        expect(wait).toBeGreaterThanOrEqual(cap / 2 - 1);
        expect(wait).toBeLessThanOrEqual(cap);
        expect((await reportOf(t, patient, id)).status).toBe('analyzing');
        const again = await t.call('POST', `/api/v1/reports/${id}/analyze`, { token: patient.accessToken });
        expect(again.status).toBe(409);
        expect(again.body.error.code).toBe('ANALYSIS_IN_PROGRESS');
        t.clock.advance(cap * 1000);
        await t.container.outboxDeliverer.deliverDue();
      }
      expect((await analysisRecord(t, id)).status).toBe('failed');
      expect(await reportOf(t, patient, id)).toMatchObject({
        status: 'analysis_failed',
        failureReason: reason,
      });

      ml.mode = 'ok';
      const retried = await t.call('POST', `/api/v1/reports/${id}/analyze`, { token: patient.accessToken });
      expect(retried.status).toBe(200);
      await t.container.outboxDeliverer.settled();
      expect((await reportOf(t, patient, id)).status).toBe('analyzed');
    },
  );

  test('a refusal (422 NO_TEXT) is permanent: analysis_failed at once', async () => {
    const patient = await createUser(t, { role: 'patient' });
    ml.mode = 'no_text';
    const res = await uploadReport(t, patient, await sampleReport());
    await t.container.outboxDeliverer.settled();
    expect(await reportOf(t, patient, res.body.report.id)).toMatchObject({
      status: 'analysis_failed',
      failureReason: 'NO_TEXT',
    });
    expect((await analysisRecord(t, res.body.report.id)).attempts).toBe(1);
  });

  test('chat: validated, citations kept to this report, our disclaimer always; down or malformed -> 503', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const res = await uploadReport(t, patient, await sampleReport());
    await t.container.outboxDeliverer.settled();
    const id = res.body.report.id;
    const ask = () =>
      t.call('POST', `/api/v1/reports/${id}/chat`, {
        token: patient.accessToken,
        body: { message: 'hemoglobin?' },
      });
    const ok = await ask();
    expect(ok.status).toBe(200);
    expect(ok.body.reply.citations).toEqual(['Hemoglobin']);
    expect(ok.body.reply.disclaimer).toContain(CLINICAL_DISCLAIMER);
    const call = ml.received.findLast((r) => r.path === '/chat')!;
    expect(call.body).toMatchObject({ question: 'hemoglobin?', findings: FAKE_FINDINGS, history: [] });
    for (const mode of ['down', 'malformed', 'slow'] as const) {
      ml.mode = mode;
      const failed = await ask();
      expect(failed.status).toBe(503);
      expect(failed.body.error.code).toBe('CHAT_UNAVAILABLE');
    }
    ml.mode = 'ok';
    await ask();
    expect(ml.received.findLast((r) => r.path === '/chat')!.body.history).toEqual([
      { role: 'patient', text: 'hemoglobin?' },
      { role: 'assistant', text: expect.stringContaining('11.1') },
    ]);
  });
});

describe('never lost', () => {
  test('a restart mid-analysis resumes it: the record is durable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hv-restart-'));
    const shared = { ...env(), DATA_DIR: dir, DATABASE_URL: `sqlite:${join(dir, 'store.sqlite')}` };
    try {
      const first = await buildTestApp(shared);
      const patient = await createUser(first, { role: 'patient' });
      ml.mode = 'down';
      const res = await uploadReport(first, patient, await sampleReport());
      await first.container.outboxDeliverer.settled();
      const id = res.body.report.id;
      expect((await analysisRecord(first, id)).status).toBe('queued');
      await first.close();

      ml.mode = 'ok';
      const second = await buildTestApp(shared);
      try {
        second.clock.advance(3600_000);
        await second.container.outboxDeliverer.deliverDue();
        const report = await second.container.reportsRepo.findById(id);
        expect(report?.status).toBe('analyzed');
        expect(report?.analysis?.source).toBe('ml');
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
