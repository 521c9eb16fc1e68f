import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createApp } from '../../src/app.ts';
import { PartySummaries } from '../../src/modules/appointments/party-summaries.ts';
import type { UserDoc } from '../../src/modules/users/users.model.ts';
import { UsersRepository } from '../../src/modules/users/users.repository.ts';
import type { TestApp } from '../support/app.ts';
import {
  approvedDoctor,
  buildBookingApp,
  hold,
  hourFromNow,
  patients,
  publishSlots,
} from '../support/booking.ts';
import { type CreatedUser, createUser } from '../support/factories.ts';
import { imageFile, PNG_1X1 } from '../support/images.ts';

let t: TestApp;
let cardiologist: CreatedUser;
let dermatologist: CreatedUser;
let patient: CreatedUser;
let admin: CreatedUser;
const held: string[] = [];
beforeAll(async () => {
  t = await buildBookingApp({ MAX_HOLDS_PER_PATIENT: '10' });
  cardiologist = await createUser(t, {
    role: 'doctor',
    approved: true,
    name: 'Asha Rao',
    doctor: { specialty: 'Cardiology' },
  });
  dermatologist = await approvedDoctor(t, { specialty: 'Dermatology' });
  const form = new FormData();
  form.append('avatar', imageFile(PNG_1X1));
  const avatar = await t.call('PUT', '/api/v1/me/avatar', { token: cardiologist.accessToken, body: form });
  expect(avatar.status).toBe(200);
  [patient] = (await patients(t, 1)) as [CreatedUser];
  admin = await createUser(t, { role: 'admin' });
  for (const doctor of [cardiologist, dermatologist, cardiologist]) {
    const [slotId] = await publishSlots(t, doctor, hourFromNow(t, 1 + held.length), 1);
    const res = await hold(t, patient, slotId!);
    expect(res.status).toBe(201);
    held.push(res.body.appointment.id);
  }
});
afterAll(() => t.close());

const asha = () => ({
  id: cardiologist.user.id,
  name: 'Asha Rao',
  specialty: 'Cardiology',
  avatarUrl: expect.stringMatching(/^http:\/\/localhost\/media\/avatars\/.+\.png$/),
});

describe('appointments carry a summary of the other party', () => {
  test('the hold answer shows the patient their doctor (name, specialty, absolute avatar URL)', async () => {
    const [slotId] = await publishSlots(t, cardiologist, hourFromNow(t, 9), 1);
    const key = { 'idempotency-key': `summary-${crypto.randomUUID()}` };
    const res = await hold(t, patient, slotId!, key);
    expect(res.status).toBe(201);
    expect(res.body.appointment.doctor).toEqual(asha());
    expect(res.body.appointment).not.toHaveProperty('patient');
    // A replay answers the same summary, its picture URL absolute again.
    const replay = await hold(t, patient, slotId!, key);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(res.body);
  });

  test("a patient's list and get: the doctor of each row, never a patient summary", async () => {
    const list = await t.call('GET', '/api/v1/appointments', { token: patient.accessToken });
    expect(list.status).toBe(200);
    const byId = new Map(list.body.items.map((a: { id: string }) => [a.id, a]));
    expect((byId.get(held[0]!) as { doctor: unknown }).doctor).toEqual(asha());
    expect((byId.get(held[1]!) as { doctor: unknown }).doctor).toEqual({
      id: dermatologist.user.id,
      name: dermatologist.user.name,
      specialty: 'Dermatology',
    });
    for (const item of list.body.items) expect(item).not.toHaveProperty('patient');
    const one = await t.call('GET', `/api/v1/appointments/${held[1]}`, { token: patient.accessToken });
    expect(one.body.appointment.doctor.id).toBe(dermatologist.user.id);
  });

  test("a doctor's list and get show the patient (id and name only), never a doctor summary", async () => {
    const list = await t.call('GET', '/api/v1/appointments', { token: cardiologist.accessToken });
    expect(list.body.items.length).toBeGreaterThanOrEqual(2);
    for (const item of list.body.items) {
      expect(item.patient).toEqual({ id: patient.user.id, name: patient.user.name });
      expect(item).not.toHaveProperty('doctor');
    }
    const one = await t.call('GET', `/api/v1/appointments/${held[0]}`, { token: cardiologist.accessToken });
    expect(one.body.appointment.patient).toEqual({ id: patient.user.id, name: patient.user.name });
    expect(JSON.stringify(one.body)).not.toContain(patient.email);
  });

  test('an admin sees both parties', async () => {
    const one = await t.call('GET', `/api/v1/appointments/${held[2]}`, { token: admin.accessToken });
    expect(one.status).toBe(200);
    expect(one.body.appointment.doctor).toEqual(asha());
    expect(one.body.appointment.patient).toEqual({ id: patient.user.id, name: patient.user.name });
  });

  test('a cancelled hold still shows its doctor', async () => {
    const res = await t.call('POST', `/api/v1/appointments/${held[2]}/cancel`, {
      token: patient.accessToken,
    });
    expect(res.status).toBe(200);
    expect(res.body.appointment).toMatchObject({ status: 'cancelled', doctor: asha() });
  });

  test('a page costs one users query, however many rows and doctors it has', async () => {
    class CountingUsers extends UsersRepository {
      byIds = 0;
      byId = 0;
      override findByIds(ids: readonly string[]): Promise<UserDoc[]> {
        this.byIds++;
        return super.findByIds(ids);
      }
      override findById(id: string): Promise<UserDoc | null> {
        this.byId++;
        return super.findById(id);
      }
    }
    const users = new CountingUsers(t.container.store);
    const app = createApp({ ...t.container, partySummaries: new PartySummaries(users) });
    const response = await app.handle(
      new Request('http://localhost/api/v1/appointments?limit=100', {
        headers: { authorization: `Bearer ${patient.accessToken}` },
      }),
    );
    const body = (await response.json()) as { items: { doctor: { id: string } }[] };
    expect(body.items.length).toBeGreaterThanOrEqual(4);
    expect(new Set(body.items.map((item) => item.doctor.id)).size).toBe(2);
    expect({ byIds: users.byIds, byId: users.byId }).toEqual({ byIds: 1, byId: 0 });
  });
});
