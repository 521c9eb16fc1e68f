import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Users } from '../../src/modules/users/users.model.ts';
import { buildTestApp, type TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { FAKE_PNG, imageFile, JPEG_HEADER, PNG_1X1, pngOfSize } from '../support/images.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ AVATAR_MAX_BYTES: '4096' });
});
afterAll(() => t.close());

const stored = (id: string) => t.container.store.collection(Users).findById(id);
const patch = (token: string, body: unknown) => t.call('PATCH', '/api/v1/me', { token, body });
const putAvatar = (token: string, file: File) => {
  const form = new FormData();
  form.append('avatar', file);
  return t.call('PUT', '/api/v1/me/avatar', { token, body: form });
};

describe('GET /me', () => {
  test('returns my own profile, never the hash', async () => {
    const { accessToken, user } = await createUser(t, { role: 'doctor', approved: true });
    const res = await t.call('GET', '/api/v1/me', { token: accessToken });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: user.id, role: 'doctor', emailVerified: true });
    expect(res.body.user.doctor.approvalStatus).toBe('approved');
    expect(JSON.stringify(res.body)).not.toMatch(/passwordHash|argon2|reviewedBy|avatarFileId/);
  });

  test('anonymous -> 401', async () => {
    expect((await t.call('GET', '/api/v1/me')).status).toBe(401);
  });
});

describe('PATCH /me', () => {
  test('a patient changes name and phone', async () => {
    const { accessToken, user } = await createUser(t, { role: 'patient' });
    const res = await patch(accessToken, { name: 'New Name', phone: '+91 99999 00000' });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ name: 'New Name', phone: '+91 99999 00000' });
    const doc = (await stored(user.id))!;
    expect(doc.name).toBe('New Name');
    expect(doc.updatedAt.getTime()).toBeGreaterThanOrEqual(doc.createdAt.getTime());
  });

  test('a doctor changes practice details; approval stays as it was', async () => {
    const { accessToken, user } = await createUser(t, { role: 'doctor', approved: true });
    const res = await patch(accessToken, {
      specialty: 'Dermatology',
      consultationFeePaise: 90_000,
      timezone: 'Europe/London',
      bio: 'Skin.',
      languages: ['English'],
    });
    expect(res.status).toBe(200);
    const doc = (await stored(user.id))!;
    expect(doc.doctor).toMatchObject({
      specialty: 'Dermatology',
      consultationFeePaise: 90_000,
      timezone: 'Europe/London',
      bio: 'Skin.',
      languages: ['English'],
      approvalStatus: 'approved',
    });
  });

  test('privileged and unknown fields are dropped: the stored document is unchanged by them', async () => {
    const { accessToken, user } = await createUser(t, { role: 'doctor' });
    const before = (await stored(user.id))!;
    const res = await patch(accessToken, {
      name: 'Still Me',
      role: 'admin',
      admin: true,
      emailVerified: false,
      email: 'takeover@example.test',
      approvalStatus: 'approved',
      doctor: { approvalStatus: 'approved' },
      walletBalancePaise: 99_999,
      _id: 'x',
      id: 'x',
      passwordHash: 'x',
      registrationNumber: 'FAKE-1',
    });
    expect(res.status).toBe(200);
    const after = (await stored(user.id))!;
    expect(after.name).toBe('Still Me');
    expect({ ...after, name: before.name, updatedAt: before.updatedAt }).toEqual(before);
    expect(after.doctor?.approvalStatus).toBe('pending');
    expect(after.role).toBe('doctor');
  });

  test('a body with no editable field -> 422 saying so and naming the editable ones; nothing changes', async () => {
    const { accessToken, user } = await createUser(t, { role: 'patient' });
    const before = (await stored(user.id))!;
    for (const body of [{}, { role: 'admin' }, { email: 'x@example.test', walletBalancePaise: 10 }]) {
      const res = await patch(accessToken, body);
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.message).toBe(
        'No editable field was given; editable: name, phone, specialty, consultationFeePaise, timezone, bio, languages',
      );
      expect(JSON.stringify(res.body)).not.toContain('at least 1 properties');
    }
    expect(await stored(user.id)).toEqual(before);
  });

  test('a patient sending doctor fields -> 422 and nothing changes', async () => {
    const { accessToken, user } = await createUser(t, { role: 'patient' });
    const before = (await stored(user.id))!;
    const res = await patch(accessToken, { name: 'X', consultationFeePaise: 100 });
    expect(res.status).toBe(422);
    expect(await stored(user.id)).toEqual(before);
  });

  test('bad values -> 422: operator objects, bad time zone, negative fee, long name', async () => {
    const { accessToken, user } = await createUser(t, { role: 'doctor' });
    const before = (await stored(user.id))!;
    for (const body of [
      { name: { $set: 'x' } },
      { timezone: 'Nowhere/Land' },
      { consultationFeePaise: -1 },
      { consultationFeePaise: '100' },
      { consultationFeePaise: ' ' },
      { consultationFeePaise: '1e3' },
      { consultationFeePaise: 10.5 },
      { name: 'x'.repeat(121) },
      { phone: 'abc' },
    ]) {
      const res = await patch(accessToken, body);
      expect({ body, status: res.status }).toEqual({ body, status: 422 });
    }
    expect(await stored(user.id)).toEqual(before);
  });
});

describe('PUT /me/avatar', () => {
  test('stores a picture judged by its bytes, and removes the one it replaces', async () => {
    const { accessToken, user } = await createUser(t, { role: 'patient' });
    const first = await putAvatar(accessToken, imageFile(PNG_1X1, 'x.gif', 'image/gif'));
    expect(first.status).toBe(200);
    expect(first.body.user.avatarUrl).toEndWith('.png');
    const firstFile = join(t.dataDir, 'avatars', (await stored(user.id))!.avatarFileId!);
    expect(existsSync(firstFile)).toBe(true);

    const second = await putAvatar(accessToken, imageFile(JPEG_HEADER, 'x.png', 'image/png'));
    expect(second.status).toBe(200);
    expect(second.body.user.avatarUrl).toEndWith('.jpg');
    expect(existsSync(firstFile)).toBe(false);
    expect(second.body.user.avatarUrl).toStartWith('http://localhost/media/avatars/');
    const served = await t.app.handle(new Request(second.body.user.avatarUrl));
    expect(served.headers.get('content-type')).toBe('image/jpeg');
  });

  test('not an image by its bytes -> 415; too large -> 413; the profile keeps its picture', async () => {
    const { accessToken, user } = await createUser(t, { role: 'patient' });
    await putAvatar(accessToken, imageFile(PNG_1X1));
    const before = (await stored(user.id))!;
    const fake = await putAvatar(accessToken, imageFile(FAKE_PNG));
    expect(fake.status).toBe(415);
    expect(fake.body.error.code).toBe('UNSUPPORTED_IMAGE');
    const big = await putAvatar(accessToken, imageFile(pngOfSize(4097)));
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('AVATAR_TOO_LARGE');
    expect(await stored(user.id)).toEqual(before);
  });

  test('no file -> 422; anonymous -> 401', async () => {
    const { accessToken } = await createUser(t, { role: 'patient' });
    const form = new FormData();
    form.append('avatar', 'just text');
    expect((await t.call('PUT', '/api/v1/me/avatar', { token: accessToken, body: form })).status).toBe(422);
    const anonymous = new FormData();
    anonymous.append('avatar', imageFile(PNG_1X1));
    expect((await t.call('PUT', '/api/v1/me/avatar', { body: anonymous })).status).toBe(401);
  });

  test('the media route serves only our file names', async () => {
    for (const path of [
      '/media/avatars/..%2Fjwt-secret',
      '/media/avatars/nope.png',
      '/media/avatars/x.txt',
    ]) {
      const res = await t.app.handle(new Request(`http://localhost${path}`));
      expect(res.status).toBe(404);
    }
  });
});
