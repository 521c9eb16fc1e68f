import { Elysia, t } from 'elysia';
import type { Container } from '../../container.ts';
import { ErrorEnvelope } from '../../shared/error-schema.ts';
import { ValidationError } from '../../shared/errors.ts';
import { accepts } from '../../shared/http.ts';
import { DoctorFields, Name, Phone, UserResponse } from '../auth/auth.model.ts';
import { authErrorResponses, authPlugin } from '../auth/auth.plugin.ts';

/** Only these can change through the API; role, email, verification, approval, wallet and ids never. */
export const ProfilePatchBody = t.Object(
  {
    name: t.Optional(Name),
    phone: t.Optional(Phone),
    specialty: t.Optional(DoctorFields.specialty),
    consultationFeePaise: t.Optional(DoctorFields.consultationFeePaise),
    timezone: t.Optional(DoctorFields.timezone),
    bio: t.Optional(DoctorFields.bio),
    languages: t.Optional(DoctorFields.languages),
  },
  { additionalProperties: false },
);

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
export function usersController(container: Container) {
  const { profiles } = container;
  return new Elysia({ name: 'users-controller' })
    .use(authPlugin(container))
    .get('/me', async ({ user }) => ({ user: await profiles.get(user.id) }), {
      auth: true,
      response: { 200: UserResponse, ...authErrorResponses, 404: ErrorEnvelope },
      detail: { tags, summary: 'My profile' },
    })
    .patch('/me', async ({ user, body }) => ({ user: await profiles.update(user.id, editable(body)) }), {
      auth: true,
      ...accepts('application/json'),
      body: ProfilePatchBody,
      response: { 200: UserResponse, ...authErrorResponses, 404: ErrorEnvelope, 422: ErrorEnvelope },
      detail: { tags, summary: 'Change my name, phone or (doctors) practice details' },
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
          200: UserResponse,
          ...authErrorResponses,
          404: ErrorEnvelope,
          413: ErrorEnvelope,
          415: ErrorEnvelope,
          422: ErrorEnvelope,
          502: ErrorEnvelope,
        },
        detail: { tags, summary: 'Replace my profile picture (multipart field `avatar`)' },
      },
    );
}
