import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Users } from '../../src/modules/users/users.model.ts';
import { ImageKitAvatarProvider } from '../../src/providers/avatars/imagekit.ts';
import { buildTestApp, type TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { type ImageKitFake, startImageKitFake } from '../support/fakes/imagekit.ts';
import { FAKE_PNG, imageFile, JPEG_HEADER, PNG_1X1 } from '../support/images.ts';

let fake: ImageKitFake;
beforeAll(() => {
  fake = startImageKitFake();
});
afterAll(() => fake.stop());

const provider = () =>
  new ImageKitAvatarProvider({ privateKey: 'private_test_key', baseUrl: fake.url, maxRetries: 0 });

describe('ImageKit adapter (real @imagekit/nodejs SDK against a loopback fake)', () => {
  test('uploads multipart to /api/v1/files/upload with Basic auth of the private key and our fields', async () => {
    const stored = await provider().put({ fileName: 'u1-abc.png', bytes: PNG_1X1, contentType: 'image/png' });
    const upload = fake.uploads.at(-1)!;
    expect(upload.authorization).toStartWith('Basic ');
    expect(upload.privateKey).toBe('private_test_key');
    expect(upload.fields).toMatchObject({
      fileName: 'u1-abc.png',
      folder: '/avatars',
      useUniqueFileName: 'false',
      isPrivateFile: 'false',
      tags: 'avatar',
    });
    expect(upload.file?.type).toBe('image/png');
    expect(upload.file?.bytes).toEqual(PNG_1X1);
    expect(stored.url).toBe(`${fake.urlEndpoint}/avatars/u1-abc.png`);
    expect(stored.fileId).toMatch(/^[0-9a-f]{24}$/);
  });

  test('removes a file with DELETE /v1/files/:fileId', async () => {
    await provider().remove('abc123');
    expect(fake.deleted).toContain('abc123');
  });

  test('an error answer rejects', async () => {
    fake.failNext(400, 'Invalid file');
    await expect(
      provider().put({ fileName: 'u1-x.png', bytes: PNG_1X1, contentType: 'image/png' }),
    ).rejects.toThrow();
  });
});

describe('avatars through the app with the ImageKit provider', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({}, { avatars: provider() });
  });
  afterAll(() => t.close());

  test('PUT /me/avatar stores through ImageKit, sets avatarUrl, and removes the replaced file', async () => {
    const { accessToken, user } = await createUser(t, { role: 'patient' });
    const form = new FormData();
    form.append('avatar', imageFile(PNG_1X1));
    const first = await t.call('PUT', '/api/v1/me/avatar', { body: form, token: accessToken });
    expect(first.status).toBe(200);
    expect(first.body.user.avatarUrl).toStartWith(`${fake.urlEndpoint}/avatars/${user.id}-`);
    const firstFileId = (await t.container.store.collection(Users).findById(user.id))!.avatarFileId!;

    const again = new FormData();
    again.append('avatar', imageFile(JPEG_HEADER, 'me.jpg', 'image/jpeg'));
    const second = await t.call('PUT', '/api/v1/me/avatar', { body: again, token: accessToken });
    expect(second.status).toBe(200);
    expect(second.body.user.avatarUrl).toEndWith('.jpg');
    expect(fake.deleted).toContain(firstFileId);
  });

  test('a picture refused by its bytes never reaches ImageKit', async () => {
    const { accessToken } = await createUser(t, { role: 'patient' });
    const before = fake.uploads.length;
    const form = new FormData();
    form.append('avatar', imageFile(FAKE_PNG));
    const res = await t.call('PUT', '/api/v1/me/avatar', { body: form, token: accessToken });
    expect(res.status).toBe(415);
    expect(fake.uploads.length).toBe(before);
  });

  test('ImageKit failing -> 502 AVATAR_UPLOAD_FAILED and the profile keeps no avatar', async () => {
    const { accessToken, user } = await createUser(t, { role: 'patient' });
    fake.failNext(500, 'Internal error');
    const form = new FormData();
    form.append('avatar', imageFile(PNG_1X1));
    const res = await t.call('PUT', '/api/v1/me/avatar', { body: form, token: accessToken });
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('AVATAR_UPLOAD_FAILED');
    expect((await t.container.store.collection(Users).findById(user.id))!.avatarUrl).toBeUndefined();
  });
});

describe('AVATAR_PROVIDER=imagekit from the environment', () => {
  test('uploads go to IMAGEKIT_UPLOAD_URL with IMAGEKIT_PRIVATE_KEY, and no dev media route exists', async () => {
    const t = await buildTestApp({
      AVATAR_PROVIDER: 'imagekit',
      IMAGEKIT_PUBLIC_KEY: 'public_env_key',
      IMAGEKIT_PRIVATE_KEY: 'private_env_key',
      IMAGEKIT_URL_ENDPOINT: fake.urlEndpoint,
      IMAGEKIT_UPLOAD_URL: fake.url,
    });
    try {
      const { accessToken } = await createUser(t, { role: 'patient' });
      const form = new FormData();
      form.append('avatar', imageFile(PNG_1X1));
      const res = await t.call('PUT', '/api/v1/me/avatar', { body: form, token: accessToken });
      expect(res.status).toBe(200);
      expect(fake.uploads.at(-1)!.privateKey).toBe('private_env_key');
      expect(res.body.user.avatarUrl).toStartWith(fake.urlEndpoint);
      expect((await t.app.handle(new Request('http://localhost/media/avatars/x.png'))).status).toBe(404);
    } finally {
      await t.close();
    }
  });
});
