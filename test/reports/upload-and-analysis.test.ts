import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Reports } from '../../src/modules/reports/reports.model.ts';
import { LOCAL_REPORTS_DIRECTORY } from '../../src/providers/storage/local.ts';
import { buildTestApp, type TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { PNG_1X1 } from '../support/images.ts';
import { scannedPdf } from '../support/report-pdfs.ts';
import { analyzedReport, sampleReport, storedFiles, uploadReport } from '../support/reports.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ REPORT_MAX_BYTES: String(1024 * 1024), REPORT_QUOTA: '6' });
});
afterAll(() => t.close());

const reportsOf = (patientId: string) => t.container.store.collection(Reports).findAll({ patientId });

describe('upload and analysis', () => {
  test('a PDF is stored first (analyzing), then analyzed in the background into findings', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const res = await uploadReport(t, patient, await sampleReport(), { title: 'Blood test, January' });
    expect(res.status).toBe(201);
    expect(res.body.report).toMatchObject({
      patientId: patient.user.id,
      title: 'Blood test, January',
      status: 'analyzing',
      contentType: 'application/pdf',
      analysis: null,
    });
    await t.container.outboxDeliverer.settled();
    const read = await t.call('GET', `/api/v1/reports/${res.body.report.id}`, { token: patient.accessToken });
    expect(read.status).toBe(200);
    expect(read.body.report.status).toBe('analyzed');
    expect(read.body.report.analysis.source).toBe('builtin');
    expect(read.body.report.analysis.findings).toEqual([
      expect.objectContaining({ name: 'Hemoglobin', value: 10.2, unit: 'g/dL', flag: 'low' }),
      expect.objectContaining({ name: 'WBC Count', value: 7.1, flag: 'normal' }),
      expect.objectContaining({
        name: 'Fasting Glucose',
        value: 126,
        flag: 'high',
        referenceRange: expect.objectContaining({
          low: 70,
          high: 99,
          source: expect.stringContaining('default'),
        }),
      }),
      expect.objectContaining({ name: 'Potassium', value: 6.8, flag: 'critical' }),
    ]);
    expect(read.body.report.analysis.summary).toContain('Hemoglobin');
    const [stored] = await reportsOf(patient.user.id);
    // The storage key is random, never the client's file name.
    expect(stored!.storageKey).toMatch(/^[0-9a-f]{32}$/);
    expect(await storedFiles(t)).toContain(stored!.storageKey);
    // Private: the file 0600 in a 0700 directory, and no route serves the directory.
    const directory = join(t.dataDir, LOCAL_REPORTS_DIRECTORY);
    expect(statSync(directory).mode & 0o777).toBe(0o700);
    expect(statSync(join(directory, stored!.storageKey)).mode & 0o777).toBe(0o600);
    expect((await t.call('GET', `/reports/${stored!.storageKey}`)).status).toBe(404);
    expect((await t.call('GET', `/media/reports/${stored!.storageKey}`)).status).toBe(404);
  });

  test('images and scans without a text layer end analysis_failed with NO_TEXT, and the owner may retry', async () => {
    const patient = await createUser(t, { role: 'patient' });
    for (const bytes of [PNG_1X1, await scannedPdf()]) {
      const res = await uploadReport(t, patient, bytes, { name: 'scan.png', type: 'image/png' });
      expect(res.status).toBe(201);
      await t.container.outboxDeliverer.settled();
      const read = await t.call('GET', `/api/v1/reports/${res.body.report.id}`, {
        token: patient.accessToken,
      });
      expect(read.body.report).toMatchObject({
        status: 'analysis_failed',
        failureReason: 'NO_TEXT',
        analysis: null,
      });
      const retried = await t.call('POST', `/api/v1/reports/${res.body.report.id}/analyze`, {
        token: patient.accessToken,
      });
      expect(retried.status).toBe(200);
      expect(retried.body.report).toMatchObject({ status: 'analyzing', failureReason: null });
      await t.container.outboxDeliverer.settled();
      const after = await t.call('GET', `/api/v1/reports/${res.body.report.id}`, {
        token: patient.accessToken,
      });
      expect(after.body.report.status).toBe('analysis_failed');
    }
  });

  test('a report deleted before its analysis ran: the analysis finds nothing to do, no file is left', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const res = await uploadReport(t, patient, await sampleReport());
    const removed = await t.call('DELETE', `/api/v1/reports/${res.body.report.id}`, {
      token: patient.accessToken,
    });
    expect(removed.status).toBe(204);
    await t.container.outboxDeliverer.settled();
    expect(await reportsOf(patient.user.id)).toEqual([]);
    const [stored] = await reportsOf(patient.user.id);
    expect(stored).toBeUndefined();
  });

  test('a PDF that cannot be read ends analysis_failed with UNREADABLE', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const res = await uploadReport(t, patient, `%PDF-1.7\n${'garbage '.repeat(50)}`);
    expect(res.status).toBe(201);
    await t.container.outboxDeliverer.settled();
    const read = await t.call('GET', `/api/v1/reports/${res.body.report.id}`, { token: patient.accessToken });
    expect(read.body.report).toMatchObject({ status: 'analysis_failed', failureReason: 'UNREADABLE' });
  });

  test('an analyzed report cannot be analyzed again', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const id = await analyzedReport(t, patient);
    const again = await t.call('POST', `/api/v1/reports/${id}/analyze`, { token: patient.accessToken });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('REPORT_ALREADY_ANALYZED');
  });

  test('the list is newest first, filtered by status, paginated', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const first = await analyzedReport(t, patient);
    const second = await analyzedReport(t, patient);
    const failed = await uploadReport(t, patient, PNG_1X1, { type: 'image/png' });
    await t.container.outboxDeliverer.settled();
    const page = await t.call('GET', '/api/v1/reports?limit=2', { token: patient.accessToken });
    expect(page.body.items.map((r: { id: string }) => r.id)).toEqual([failed.body.report.id, second]);
    const next = await t.call('GET', `/api/v1/reports?limit=2&cursor=${page.body.nextCursor}`, {
      token: patient.accessToken,
    });
    expect(next.body.items.map((r: { id: string }) => r.id)).toEqual([first]);
    expect(next.body.nextCursor).toBeNull();
    const analyzed = await t.call('GET', '/api/v1/reports?status=analyzed', { token: patient.accessToken });
    expect(analyzed.body.items.map((r: { id: string }) => r.id)).toEqual([second, first]);
  });

  test('deleting a report removes its file, analysis, shares and chat', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const id = await analyzedReport(t, patient);
    const [stored] = await reportsOf(patient.user.id);
    await t.call('POST', `/api/v1/reports/${id}/chat`, {
      token: patient.accessToken,
      body: { message: 'hemoglobin?' },
    });
    expect(await storedFiles(t)).toContain(stored!.storageKey);
    const removed = await t.call('DELETE', `/api/v1/reports/${id}`, { token: patient.accessToken });
    expect(removed.status).toBe(204);
    expect(await storedFiles(t)).not.toContain(stored!.storageKey);
    expect(await reportsOf(patient.user.id)).toEqual([]);
    const read = await t.call('GET', `/api/v1/reports/${id}`, { token: patient.accessToken });
    expect(read.status).toBe(404);
    const chat = await t.container.reportsRepo.recentChat(id, 10);
    expect(chat).toEqual([]);
  });

  test('concurrent uploads past the quota: at most REPORT_QUOTA are kept, the others store nothing', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const bytes = await sampleReport();
    const before = (await storedFiles(t)).length;
    const answers = await Promise.all(Array.from({ length: 10 }, () => uploadReport(t, patient, bytes)));
    await t.container.outboxDeliverer.settled();
    expect(answers.filter((a) => a.status === 201).length).toBe(6);
    expect(
      answers.filter((a) => a.status === 409).every((a) => a.body.error.code === 'REPORT_QUOTA_EXCEEDED'),
    ).toBe(true);
    expect((await reportsOf(patient.user.id)).length).toBe(6);
    expect((await storedFiles(t)).length).toBe(before + 6);
  });

  test('the quota: REPORT_QUOTA reports per patient, then 409 with nothing stored', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const bytes = await sampleReport();
    for (let i = 0; i < 6; i++) expect((await uploadReport(t, patient, bytes)).status).toBe(201);
    const files = (await storedFiles(t)).length;
    const over = await uploadReport(t, patient, bytes);
    expect(over.status).toBe(409);
    expect(over.body.error).toMatchObject({ code: 'REPORT_QUOTA_EXCEEDED', details: { quota: 6 } });
    expect((await storedFiles(t)).length).toBe(files);
    expect((await reportsOf(patient.user.id)).length).toBe(6);
    await t.container.outboxDeliverer.settled();
  });
});

describe('upload attacks: refused with nothing stored', () => {
  const attacks: [
    string,
    () => Promise<{ bytes: Uint8Array | string; name?: string; type?: string }>,
    number,
    string,
  ][] = [
    [
      'an HTML page with a PDF inside (polyglot)',
      async () => ({
        bytes: `<html><script>alert(1)</script>%PDF-1.7\n${new TextDecoder().decode(await sampleReport())}`,
      }),
      415,
      'UNSUPPORTED_REPORT_TYPE',
    ],
    [
      'a PDF carrying HTML markup in its head (polyglot)',
      async () => ({
        bytes: '%PDF-1.7\n<html><body><script>alert(document.cookie)</script></body></html>\n%%EOF',
      }),
      415,
      'UNSUPPORTED_REPORT_TYPE',
    ],
    [
      'an executable renamed .pdf',
      async () => ({
        bytes: new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, ...new Array(120).fill(0)]),
        name: 'report.pdf',
      }),
      415,
      'UNSUPPORTED_REPORT_TYPE',
    ],
    [
      'a Windows executable declared as application/pdf',
      async () => ({
        bytes: new Uint8Array([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, ...new Array(200).fill(0)]),
      }),
      415,
      'UNSUPPORTED_REPORT_TYPE',
    ],
    ['0 bytes', async () => ({ bytes: new Uint8Array(0) }), 422, 'REPORT_EMPTY'],
    [
      'a file over REPORT_MAX_BYTES',
      async () => ({ bytes: new Uint8Array(1024 * 1024 + 1).fill(0x25) }),
      413,
      'REPORT_TOO_LARGE',
    ],
    [
      'a text file declared as a PNG',
      async () => ({ bytes: 'just some text', name: 'x.png', type: 'image/png' }),
      415,
      'UNSUPPORTED_REPORT_TYPE',
    ],
  ];

  test.each(attacks)('%s', async (_, make, status, code) => {
    const patient = await createUser(t, { role: 'patient' });
    const before = await storedFiles(t);
    const { bytes, name, type } = await make();
    const res = await uploadReport(t, patient, bytes, {
      ...(name ? { name } : {}),
      ...(type ? { type } : {}),
    });
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(await storedFiles(t)).toEqual(before);
    expect(await reportsOf(patient.user.id)).toEqual([]);
  });

  test('11 MB against the default limit: 413 before the body is read whole', async () => {
    const big = await buildTestApp();
    try {
      const patient = await createUser(big, { role: 'patient' });
      const res = await uploadReport(big, patient, new Uint8Array(11 * 1024 * 1024).fill(0x25));
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
      expect(await big.container.store.collection(Reports).count()).toBe(0);
    } finally {
      await big.close();
    }
  });

  test('a traversal file name is never used: the file is kept under a random key', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const res = await uploadReport(t, patient, await sampleReport(), { name: '../../../etc/passwd.pdf' });
    expect(res.status).toBe(201);
    const [stored] = await reportsOf(patient.user.id);
    expect(stored!.storageKey).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(stored)).not.toContain('passwd');
    await t.container.outboxDeliverer.settled();
  });

  test('a wrong declared type does not matter: the bytes decide', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const res = await uploadReport(t, patient, PNG_1X1, { name: 'scan.pdf', type: 'application/pdf' });
    expect(res.status).toBe(201);
    expect(res.body.report.contentType).toBe('image/png');
    await t.container.outboxDeliverer.settled();
  });

  test('only multipart bodies; a title must be text', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const json = await t.call('POST', '/api/v1/reports', { token: patient.accessToken, body: { file: 'x' } });
    expect(json.status).toBe(415);
    const badTitle = await uploadReport(t, patient, await sampleReport(), { title: 'a\u202Eb' });
    expect(badTitle.status).toBe(422);
    expect(await reportsOf(patient.user.id)).toEqual([]);
  });
});

describe('the original file', () => {
  test('is streamed as an attachment, never sniffed, never cached', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const bytes = await sampleReport();
    const id = await analyzedReport(t, patient, bytes);
    const res = await t.app.handle(
      new Request(`http://localhost/api/v1/reports/${id}/file`, {
        headers: { authorization: `Bearer ${patient.accessToken}` },
      }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toStartWith('attachment');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array(bytes));
  });
});
