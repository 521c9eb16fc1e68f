import { expect } from 'bun:test';
import { LocalReportStorage } from '../../src/providers/storage/local.ts';
import type { CallResult, TestApp } from './app.ts';
import { approvedDoctor, hold, hourFromNow, publishSlots } from './booking.ts';
import type { CreatedUser } from './factories.ts';
import { labReportPdf, SAMPLE_VALUES } from './report-pdfs.ts';

export const sampleReport = () => labReportPdf(SAMPLE_VALUES);

/** POST /reports with a multipart body: `file` under the given name and declared type. */
export function uploadReport(
  t: TestApp,
  patient: CreatedUser,
  bytes: Uint8Array | string,
  options: { name?: string; type?: string; title?: string; appointmentId?: string } = {},
): Promise<CallResult> {
  const form = new FormData();
  form.append(
    'file',
    new File([bytes], options.name ?? 'report.pdf', { type: options.type ?? 'application/pdf' }),
  );
  if (options.title !== undefined) form.append('title', options.title);
  if (options.appointmentId !== undefined) form.append('appointmentId', options.appointmentId);
  return t.call('POST', '/api/v1/reports', { token: patient.accessToken, body: form });
}

/** Uploads the sample report and lets the background analysis run; returns the report id. */
export async function analyzedReport(t: TestApp, patient: CreatedUser, bytes?: Uint8Array): Promise<string> {
  const res = await uploadReport(t, patient, bytes ?? (await sampleReport()));
  expect(res.status).toBe(201);
  await t.container.outboxDeliverer.settled();
  return res.body.report.id;
}

/** A doctor and a held appointment of `patient` with them. */
export async function appointmentWithDoctor(t: TestApp, patient: CreatedUser) {
  const doctor = await approvedDoctor(t);
  const [slotId] = await publishSlots(t, doctor, hourFromNow(t), 1);
  const held = await hold(t, patient, slotId!);
  expect(held.status).toBe(201);
  return { doctor, appointmentId: held.body.appointment.id as string };
}

/** The report files the local storage holds. */
export const storedFiles = (t: TestApp): Promise<string[]> => {
  const storage = t.container.reportStorage;
  if (!(storage instanceof LocalReportStorage)) throw new Error('not local storage');
  return storage.keys();
};
