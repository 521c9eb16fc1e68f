import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Reports } from '../../src/modules/reports/reports.model.ts';
import { buildTestApp, type TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { type CloudinaryFake, startCloudinaryFake } from '../support/fakes/cloudinary.ts';
import { startMlServiceFake } from '../support/fakes/ml-service.ts';
import { sampleReport, uploadReport } from '../support/reports.ts';

let fake: CloudinaryFake;
let t: TestApp;
beforeAll(async () => {
  fake = startCloudinaryFake();
  t = await buildTestApp({
    STORAGE_PROVIDER: 'cloudinary',
    CLOUDINARY_CLOUD_NAME: fake.cloudName,
    CLOUDINARY_API_KEY: fake.apiKey,
    CLOUDINARY_API_SECRET: fake.apiSecret,
    CLOUDINARY_UPLOAD_PREFIX: fake.url,
  });
});
afterAll(async () => {
  await t.close();
  await fake.stop();
});

describe('report files on Cloudinary (the real SDK against a loopback fake that checks signatures)', () => {
  test('uploaded as an authenticated asset under a random id, analyzed from a signed URL, served by redirect, destroyed on delete', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const bytes = await sampleReport();
    const res = await uploadReport(t, patient, bytes, { name: 'my-blood-test.pdf' });
    expect(res.status).toBe(201);
    const stored = (await t.container.store.collection(Reports).findById(res.body.report.id))!;
    expect(stored.storage).toBe('cloudinary');
    const asset = fake.assets.get(stored.storageKey)!;
    expect(asset.type).toBe('authenticated');
    expect(asset.bytes).toEqual(new Uint8Array(bytes));
    expect([...fake.assets.keys()].join()).not.toContain('blood');

    await t.container.outboxDeliverer.settled();
    const read = await t.call('GET', `/api/v1/reports/${stored._id}`, { token: patient.accessToken });
    expect(read.body.report.status).toBe('analyzed');
    expect(read.body.report.analysis.findings.length).toBe(4);

    const file = await t.call('GET', `/api/v1/reports/${stored._id}/file`, { token: patient.accessToken });
    expect(file.status).toBe(302);
    expect(file.headers.get('cache-control')).toBe('no-store');
    expect(file.headers.get('content-disposition')).toStartWith('attachment');
    const location = new URL(file.headers.get('location')!);
    expect(location.pathname).toBe(`/v1_1/${fake.cloudName}/image/download`);
    expect(location.searchParams.get('type')).toBe('authenticated');
    const ttl = Number(location.searchParams.get('expires_at')) - Math.floor(Date.now() / 1000);
    expect(ttl).toBeGreaterThan(60);
    expect(ttl).toBeLessThanOrEqual(300);
    const downloaded = await fetch(location);
    expect(downloaded.status).toBe(200);
    expect(new Uint8Array(await downloaded.arrayBuffer())).toEqual(new Uint8Array(bytes));

    // A tampered URL (another id) and an expired one are refused by the fake, as by Cloudinary.
    const tampered = new URL(location);
    tampered.searchParams.set('public_id', 'someone-else');
    expect((await fetch(tampered)).status).toBe(401);
    fake.setNow(Number(location.searchParams.get('expires_at')) + 1);
    expect((await fetch(location)).status).toBe(401);
    fake.setNow(Math.floor(Date.now() / 1000));

    const removed = await t.call('DELETE', `/api/v1/reports/${stored._id}`, { token: patient.accessToken });
    expect(removed.status).toBe(204);
    expect(fake.assets.has(stored.storageKey)).toBe(false);
    expect(fake.received.filter((r) => r.action === 'destroy').at(-1)).toMatchObject({ status: 200 });
  });

  test('a failed upload is 502 and stores nothing', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const before = fake.assets.size;
    fake.failUploads(1);
    const res = await uploadReport(t, patient, await sampleReport());
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('REPORT_STORAGE_FAILED');
    expect(fake.assets.size).toBe(before);
    expect(await t.container.store.collection(Reports).count({ patientId: patient.user.id })).toBe(0);
  });

  test('a wrong secret is refused by the signature check: 502, nothing stored', async () => {
    const wrong = await buildTestApp({
      STORAGE_PROVIDER: 'cloudinary',
      CLOUDINARY_CLOUD_NAME: fake.cloudName,
      CLOUDINARY_API_KEY: fake.apiKey,
      CLOUDINARY_API_SECRET: 'not-the-secret',
      CLOUDINARY_UPLOAD_PREFIX: fake.url,
    });
    try {
      const patient = await createUser(wrong, { role: 'patient' });
      const before = fake.assets.size;
      const res = await uploadReport(wrong, patient, await sampleReport());
      expect(res.status).toBe(502);
      expect(fake.received.at(-1)).toMatchObject({ action: 'upload', status: 401 });
      expect(fake.assets.size).toBe(before);
    } finally {
      await wrong.close();
    }
  });

  test('with an ML service, the analysis is sent a signed URL it can fetch, not the bytes', async () => {
    const ml = startMlServiceFake();
    const both = await buildTestApp({
      STORAGE_PROVIDER: 'cloudinary',
      CLOUDINARY_CLOUD_NAME: fake.cloudName,
      CLOUDINARY_API_KEY: fake.apiKey,
      CLOUDINARY_API_SECRET: fake.apiSecret,
      CLOUDINARY_UPLOAD_PREFIX: fake.url,
      ML_PROVIDER: 'http',
      ML_SERVICE_URL: ml.url,
      ML_API_KEY: ml.apiKey,
    });
    try {
      const patient = await createUser(both, { role: 'patient' });
      const bytes = await sampleReport();
      const res = await uploadReport(both, patient, bytes);
      await both.container.outboxDeliverer.settled();
      const sent = ml.received.find((r) => r.path === '/analyze')!.body.report as Record<string, string>;
      expect(sent.bytesBase64).toBeUndefined();
      expect(sent.url).toStartWith(`${fake.url}/v1_1/${fake.cloudName}/image/download?`);
      expect(ml.fetched).toEqual([{ url: sent.url!, status: 200, bytes: bytes.byteLength }]);
      const report = await both.container.reportsRepo.findById(res.body.report.id);
      expect(report?.status).toBe('analyzed');
    } finally {
      await both.close();
      await ml.stop();
    }
  });
});
