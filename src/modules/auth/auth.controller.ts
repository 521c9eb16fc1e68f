import { Elysia, t } from 'elysia';
import type { Container } from '../../container.ts';
import { clientIp } from '../../shared/client-ip.ts';
import { ErrorEnvelope } from '../../shared/error-schema.ts';
import { accepts, mediaTypeOf } from '../../shared/http.ts';
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
import { authPlugin } from './auth.plugin.ts';

const tags = ['Auth'];

/** Sign-up, email codes, sign-in, token refresh, sign-out and password reset under /auth. */
export function authController(container: Container) {
  const { accounts, config } = container;
  return new Elysia({ name: 'auth-controller', prefix: '/auth' })
    .use(authPlugin(container))
    .derive(({ request, server }) => ({ ip: clientIp(request, server, config.TRUST_PROXY) }))
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
        201: UserResponse,
        409: ErrorEnvelope,
        413: ErrorEnvelope,
        415: ErrorEnvelope,
        422: ErrorEnvelope,
        429: ErrorEnvelope,
      },
      detail: {
        tags,
        summary: 'Create an account (JSON, or multipart with an `avatar` file); emails a verification code',
      },
    })
    .post('/otp/verify', ({ body, ip }) => accounts.verifyEmail(body.email, body.code, ip), {
      ...accepts('application/json'),
      body: VerifyOtpBody,
      response: { 200: TokenPairResponse, 422: ErrorEnvelope, 429: ErrorEnvelope },
      detail: { tags, summary: 'Verify the email with its code; signs in' },
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
        response: { 202: AcceptedResponse, 422: ErrorEnvelope, 429: ErrorEnvelope },
        detail: { tags, summary: 'Send a new verification code (at most once a minute, 5 an hour)' },
      },
    )
    .post('/login', ({ body, ip }) => accounts.login(body.email, body.password, ip), {
      ...accepts('application/json'),
      body: LoginBody,
      response: {
        200: TokenPairResponse,
        401: ErrorEnvelope,
        403: ErrorEnvelope,
        422: ErrorEnvelope,
        429: ErrorEnvelope,
      },
      detail: { tags, summary: 'Sign in with email and password' },
    })
    .post('/refresh', ({ body }) => accounts.refresh(body.refreshToken), {
      ...accepts('application/json'),
      body: RefreshBody,
      response: { 200: TokenPairResponse, 401: ErrorEnvelope, 422: ErrorEnvelope },
      detail: { tags, summary: 'Exchange a refresh token for a new pair (each refresh token works once)' },
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
        response: { 204: t.Void(), 422: ErrorEnvelope },
        detail: { tags, summary: 'Sign out: the session and its tokens stop working at once' },
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
        response: { 202: AcceptedResponse, 422: ErrorEnvelope, 429: ErrorEnvelope },
        detail: {
          tags,
          summary: 'Email a password reset code (same answer whether or not the account exists)',
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
        response: { 204: t.Void(), 422: ErrorEnvelope, 429: ErrorEnvelope },
        detail: { tags, summary: 'Set a new password with the emailed code; signs out every session' },
      },
    );
}
