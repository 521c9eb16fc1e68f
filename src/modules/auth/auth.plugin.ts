import { Elysia } from 'elysia';
import { AppError } from '../../shared/errors.ts';
import { errors } from '../../shared/route-docs.ts';
import type { Role } from '../users/users.model.ts';
import type { AuthUser, TokenService } from './tokens.service.ts';

export type { AuthUser };

/** The codes `{ auth: true }` can answer, for a route's `errors(...)`. */
export const AUTH_ERRORS = ['UNAUTHORIZED', 'INVALID_TOKEN', 'TOKEN_EXPIRED', 'SESSION_REVOKED'] as const;
/** The codes `{ auth: [roles] }` can answer: the above, and 403 for another role. */
export const ROLE_ERRORS = [...AUTH_ERRORS, 'FORBIDDEN'] as const;

/** The answers of the role-checking macro alone; routes with more codes use `errors(...ROLE_ERRORS, ...)`. */
export const authErrorResponses = errors(...ROLE_ERRORS);

/** OpenAPI: no credentials, or a bearer token. */
const OPTIONAL_BEARER: Record<string, string[]>[] = [{}, { bearer: [] }];

const envelope = (code: string, message: string) => ({ error: { code, message } });

/**
 * The one place tokens are checked. `{ auth: true }` needs any signed-in user; `{ auth: ['admin'] }`
 * needs one of the roles. Handlers receive `user: { id, role, sessionId }`. Missing, invalid, expired
 * or revoked token -> 401; signed in with another role -> 403 `FORBIDDEN`. `{ optionalAuth: true }` gives
 * `user: AuthUser | null` and never refuses: null when the bearer is missing, invalid, expired or revoked.
 */
export function authPlugin(tokens: TokenService) {
  return new Elysia({ name: 'auth' }).macro({
    auth: (allowed: true | Role[]) => ({
      detail: { security: [{ bearer: [] }] },
      // The header is read from the request: naming `headers` makes Elysia copy every header on every request.
      async resolve({ request, status, set }) {
        let user: AuthUser;
        try {
          user = await tokens.authenticate(request.headers.get('authorization') ?? undefined);
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          set.headers['www-authenticate'] = 'Bearer';
          return status(401, envelope(error.code, error.message));
        }
        if (allowed !== true && !allowed.includes(user.role)) {
          return status(403, envelope('FORBIDDEN', 'Your role cannot do this'));
        }
        return { user };
      },
    }),
    optionalAuth: (_enabled: true) => ({
      detail: { security: OPTIONAL_BEARER },
      async resolve({ request }) {
        const authorization = request.headers.get('authorization') ?? undefined;
        if (authorization === undefined) return { user: null as AuthUser | null };
        try {
          return { user: (await tokens.authenticate(authorization)) as AuthUser | null };
        } catch (error) {
          if (error instanceof AppError) return { user: null as AuthUser | null };
          throw error;
        }
      },
    }),
  });
}

export type AuthPlugin = ReturnType<typeof authPlugin>;
