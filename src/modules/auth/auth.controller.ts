import { Elysia } from 'elysia';
import { clientIp } from '../../shared/client-ip.ts';
import { accepts, mediaTypeOf } from '../../shared/http.ts';
import { BODY_ERRORS, described, errors, JSON_BODY_ERRORS, noContent } from '../../shared/route-docs.ts';
import type { AccountsService } from './accounts.service.ts';
import {
  AcceptedResponse,
  EmailBody,
  feePaiseFromFormText,
  LoginBody,
  RefreshBody,
  ResetPasswordBody,
  SignupBody,
  TokenPairResponse,
  UserResponse,
  VerifyOtpBody,
} from './auth.model.ts';
import type { AuthPlugin } from './auth.plugin.ts';

const tags = ['Auth'];

/** Sign-up, email codes, sign-in, token refresh, sign-out and password reset under /auth. */
export function authController({
  accounts,
  trustProxy,
  auth,
}: {
  accounts: AccountsService;
  /** Whether the client address comes from X-Forwarded-For (TRUST_PROXY). */
  trustProxy: boolean;
  auth: AuthPlugin;
}) {
  return new Elysia({ name: 'auth-controller', prefix: '/auth' })
    .use(auth)
    .derive(({ request, server }) => ({ ip: clientIp(request, server, trustProxy) }))
    .post('/signup', async ({ body, ip, status }) => status(201, { user: await accounts.signup(body, ip) }), {
      ...accepts('application/json', 'multipart/form-data'),
      transform: ({ body, request }) => {
        const form = body as Record<string, unknown> | undefined;
        const fee = form?.consultationFeePaise;
        if (typeof fee === 'string' && mediaTypeOf(request) === 'multipart/form-data') {
          form!.consultationFeePaise = feePaiseFromFormText(fee);
        }
      },
      body: SignupBody,
      response: {
        201: described(UserResponse, 'The new account, email not yet verified; a 6-digit code is on its way'),
        ...errors(
          ...BODY_ERRORS,
          'MALFORMED_BODY',
          'VALIDATION_FAILED',
          'EMAIL_TAKEN',
          'AVATAR_TOO_LARGE',
          'UNSUPPORTED_IMAGE',
          'RATE_LIMITED',
        ),
      },
      detail: {
        tags,
        summary: 'Create an account (JSON, or multipart with an avatar file); emails a verification code',
        description:
          'Patients give name, email, password and role; doctors also specialty, registrationNumber, ' +
          'consultationFeePaise and timezone (IANA), and may add bio and languages. Send JSON, or ' +
          '`multipart/form-data` to include an `avatar` (JPEG, PNG or WebP by its bytes); in multipart the fee ' +
          'is plain digits and languages repeat or are comma-separated. Nothing is stored when anything is ' +
          'refused. At most 5 sign-ups a minute per client address.',
      },
    })
    .post('/otp/verify', ({ body, ip }) => accounts.verifyEmail(body.email, body.code, ip), {
      ...accepts('application/json'),
      body: VerifyOtpBody,
      response: {
        200: described(TokenPairResponse, 'Verified and signed in: a token pair and the account'),
        ...errors(...JSON_BODY_ERRORS, 'OTP_INVALID', 'OTP_EXPIRED', 'OTP_LOCKED', 'RATE_LIMITED'),
      },
      detail: {
        tags,
        summary: 'Verify the email with its code; signs in',
        description:
          'Codes live 10 minutes (OTP_TTL_SECONDS), work once and only the newest counts. A wrong code is ' +
          '`OTP_INVALID` with `details.attemptsLeft`; after 5 wrong tries the code is `OTP_LOCKED`. Every address answers alike, account ' +
          'or not. At most 10 tries a minute per client address.',
      },
    })
    .post(
      '/otp/resend',
      async ({ body, ip, status }) => {
        await accounts.resendVerification(body.email, ip);
        return status(202, { status: 'accepted' as const });
      },
      {
        ...accepts('application/json'),
        body: EmailBody,
        response: {
          202: described(AcceptedResponse, 'Accepted; a pending account gets a new code by email'),
          ...errors(...JSON_BODY_ERRORS, 'RATE_LIMITED'),
        },
        detail: {
          tags,
          summary: 'Send a new verification code (at most once a minute, 5 an hour)',
          description:
            'The same answer for unknown, pending and verified emails, so it reveals no account. The limits ' +
            'count per email; beyond them the answer is 429 with `Retry-After`.',
        },
      },
    )
    .post('/login', ({ body, ip }) => accounts.login(body.email, body.password, ip), {
      ...accepts('application/json'),
      body: LoginBody,
      response: {
        200: described(TokenPairResponse, 'Signed in: a token pair and the account'),
        ...errors(...JSON_BODY_ERRORS, 'INVALID_CREDENTIALS', 'EMAIL_NOT_VERIFIED', 'RATE_LIMITED'),
      },
      detail: {
        tags,
        summary: 'Sign in with email and password',
        description:
          'Unknown email and wrong password get the same 401 after the same work. Send the access token as ' +
          '`Authorization: Bearer <accessToken>`; it lives `expiresIn` seconds, then refresh. At most 10 ' +
          'tries a minute per client address and per email.',
      },
    })
    .post('/refresh', ({ body }) => accounts.refresh(body.refreshToken), {
      ...accepts('application/json'),
      body: RefreshBody,
      response: {
        200: described(TokenPairResponse, 'A new token pair; the refresh token sent is now spent'),
        ...errors(...JSON_BODY_ERRORS, 'INVALID_REFRESH_TOKEN', 'REFRESH_TOKEN_REUSED'),
      },
      detail: {
        tags,
        summary: 'Exchange a refresh token for a new pair (each refresh token works once)',
        description:
          'Refresh tokens are opaque and live 30 days (REFRESH_TOKEN_TTL_SECONDS). A spent one presented ' +
          'again within REFRESH_REUSE_GRACE_SECONDS (10 s) of its rotation answers the same new pair (two tabs ' +
          'at once); later it is `REFRESH_TOKEN_REUSED` and signs the whole session out.',
      },
    })
    .post(
      '/logout',
      async ({ body, user, status }) => {
        await accounts.logout(user, body.refreshToken);
        return status(204, undefined);
      },
      {
        optionalAuth: true,
        ...accepts('application/json'),
        body: RefreshBody,
        response: {
          204: noContent('Signed out: the session and its tokens no longer work'),
          ...errors(...JSON_BODY_ERRORS),
        },
        detail: {
          tags,
          summary: 'Sign out: the session and its tokens stop working at once',
          description:
            "Ends the refresh token's session; no bearer token is needed (an expired one is fine). With a valid " +
            'bearer token, the signed-in session ends too. A refresh token that is not ours is also 204: it works no more.',
        },
      },
    )
    .post(
      '/password/forgot',
      async ({ body, ip, status }) => {
        await accounts.forgotPassword(body.email, ip);
        return status(202, { status: 'accepted' as const });
      },
      {
        ...accepts('application/json'),
        body: EmailBody,
        response: {
          202: described(AcceptedResponse, 'Accepted; an existing account gets a reset code by email'),
          ...errors(...JSON_BODY_ERRORS, 'RATE_LIMITED'),
        },
        detail: {
          tags,
          summary: 'Email a password reset code (same answer whether or not the account exists)',
          description:
            'The code limits of `/auth/otp/resend` apply to every address: at most once a minute, 5 an hour.',
        },
      },
    )
    .post(
      '/password/reset',
      async ({ body, ip, status }) => {
        await accounts.resetPassword(body.email, body.code, body.newPassword, ip);
        return status(204, undefined);
      },
      {
        ...accepts('application/json'),
        body: ResetPasswordBody,
        response: {
          204: noContent('The password is changed and every session of the account is signed out'),
          ...errors(...JSON_BODY_ERRORS, 'OTP_INVALID', 'OTP_EXPIRED', 'OTP_LOCKED', 'RATE_LIMITED'),
        },
        detail: {
          tags,
          summary: 'Set a new password with the emailed code; signs out every session',
          description:
            'The code proves the email, so an unverified account becomes verified. Code rules as in ' +
            '`/auth/otp/verify`.',
        },
      },
    );
}
