import { Elysia, t } from 'elysia';
import { ValidationError } from '../../shared/errors.ts';
import { accepts } from '../../shared/http.ts';
import { BODY_ERRORS, described, errors, JSON_BODY_ERRORS } from '../../shared/route-docs.ts';
import { UserResponse } from '../auth/auth.model.ts';
import { AUTH_ERRORS, type AuthPlugin } from '../auth/auth.plugin.ts';
import { ProfilePatchBody } from './users.model.ts';
import type { ProfileService } from './users.service.ts';

const EDITABLE = Object.keys(ProfilePatchBody.properties);

/**
 * The patch if it names an editable field; else 422. Unknown fields are dropped by validation, so
 * `{"role":"admin"}` arrives here as an empty patch.
 */
const editable = <P extends object>(patch: P): P => {
  if (Object.values(patch).some((value) => value !== undefined)) return patch;
  throw new ValidationError(`No editable field was given; editable: ${EDITABLE.join(', ')}`, [
    { path: '(root)', message: `give at least one of ${EDITABLE.join(', ')}` },
  ]);
};

const tags = ['Profile'];

/** The signed-in user's own profile and picture. */
export function usersController({ profiles, auth }: { profiles: ProfileService; auth: AuthPlugin }) {
  return new Elysia({ name: 'users-controller' })
    .use(auth)
    .get('/me', async ({ user }) => ({ user: await profiles.get(user.id) }), {
      auth: true,
      response: {
        200: described(UserResponse, 'My account'),
        ...errors(...AUTH_ERRORS, 'NOT_FOUND'),
      },
      detail: {
        tags,
        summary: 'My profile',
        description:
          'The signed-in account with its private fields: email, phone, wallet balance and, for doctors, the ' +
          'practice profile and approval status.',
      },
    })
    .patch('/me', async ({ user, body }) => ({ user: await profiles.update(user.id, editable(body)) }), {
      auth: true,
      ...accepts('application/json'),
      body: ProfilePatchBody,
      response: {
        200: described(UserResponse, 'My account after the change'),
        ...errors(...AUTH_ERRORS, ...JSON_BODY_ERRORS, 'NOT_FOUND'),
      },
      detail: {
        tags,
        summary: 'Change my name, phone or (doctors) practice details',
        description:
          'Send at least one field. Role, email, verification, approval, wallet and ids never change here; ' +
          'practice details are for doctors only (422 for anyone else).',
      },
    })
    .put(
      '/me/avatar',
      async ({ user, body }) => ({ user: await profiles.replaceAvatar(user.id, body.avatar) }),
      {
        auth: true,
        ...accepts('multipart/form-data'),
        body: t.Object(
          { avatar: t.File({ description: 'JPEG, PNG or WebP' }) },
          { additionalProperties: false },
        ),
        response: {
          200: described(UserResponse, 'My account with its new `avatarUrl`'),
          ...errors(
            ...AUTH_ERRORS,
            ...BODY_ERRORS,
            'MALFORMED_BODY',
            'VALIDATION_FAILED',
            'NOT_FOUND',
            'AVATAR_TOO_LARGE',
            'UNSUPPORTED_IMAGE',
            'AVATAR_UPLOAD_FAILED',
          ),
        },
        detail: {
          tags,
          summary: 'Replace my profile picture (multipart field avatar)',
          description:
            'A JPEG, PNG or WebP (judged by its bytes) of at most AVATAR_MAX_BYTES; the previous picture is ' +
            'removed once the new one is stored.',
        },
      },
    );
}
