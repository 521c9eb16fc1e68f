import { cors } from '@elysiajs/cors';
import { Elysia, t } from 'elysia';
import type { Container } from './container.ts';
import { openApiDocs } from './docs/openapi.ts';
import { adminController } from './modules/admin/admin.controller.ts';
import { appointmentsController } from './modules/appointments/appointments.controller.ts';
import { authController } from './modules/auth/auth.controller.ts';
import { devMailboxController, devMediaController } from './modules/dev/dev.controller.ts';
import { doctorsController, specialtiesController } from './modules/doctors/doctors.controller.ts';
import { outboxController } from './modules/outbox/outbox.controller.ts';
import { usersController } from './modules/users/users.controller.ts';
import { httpBasics } from './shared/http.ts';
import { publicUrls } from './shared/public-urls.ts';
import { errors } from './shared/route-docs.ts';

/** Routes that take an avatar upload accept a body of the avatar limit plus room for the other fields. */
export const uploadBodyLimits = (config: Container['config']): Record<string, number> => {
  const limit = Math.max(config.BODY_LIMIT_BYTES, config.AVATAR_MAX_BYTES + 64 * 1024);
  return { '/api/v1/auth/signup': limit, '/api/v1/me/avatar': limit };
};

/** Builds the whole HTTP app without listening; tests call `app.handle(request)`. */
export function createApp(container: Container) {
  const { config, logger, store } = container;

  return new Elysia({ name: 'healthvision' })
    .use(
      httpBasics({
        logger,
        bodyLimitBytes: config.BODY_LIMIT_BYTES,
        bodyLimitsByPath: uploadBodyLimits(config),
      }),
    )
    .use(publicUrls({ publicUrl: config.PUBLIC_URL, trustProxy: config.TRUST_PROXY }))
    .use(
      cors({
        origin: [...config.CORS_ORIGINS],
        credentials: true,
        allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-request-id'],
        exposeHeaders: ['x-request-id', 'retry-after', 'idempotent-replayed'],
        maxAge: 600,
      }),
    )
    .use(openApiDocs())
    .get('/health', () => ({ status: 'ok' as const }), {
      response: { 200: t.Object({ status: t.Literal('ok') }, { description: 'The process is up' }) },
      detail: {
        tags: ['System'],
        summary: 'Liveness: the process is up',
        description: 'Answers without touching the store; for liveness probes.',
      },
    })
    .get(
      '/ready',
      async ({ status }) => {
        try {
          await store.ping(config.READY_TIMEOUT_MS);
          return { status: 'ready' as const };
        } catch (error) {
          logger.warn('readiness check failed', {
            error: error instanceof Error ? error.message : String(error),
          });
          return status(503, { error: { code: 'NOT_READY', message: 'The store is not reachable' } });
        }
      },
      {
        response: {
          200: t.Object({ status: t.Literal('ready') }, { description: 'The store answers' }),
          ...errors('NOT_READY'),
        },
        detail: {
          tags: ['System'],
          summary: 'Readiness: the store is reachable',
          description: 'Pings the store; for readiness probes and load balancers.',
        },
      },
    )
    .use(devMediaController(container))
    .group('/api/v1', (api) =>
      api
        // `?q=&limit=` from a URL template means "not given", not "invalid".
        .onTransform(({ query }) => {
          for (const key in query) if (query[key] === '') delete query[key];
        })
        .use(authController(container))
        .use(usersController(container))
        .use(adminController(container))
        .use(outboxController(container))
        .use(devMailboxController(container))
        .use(doctorsController(container))
        .use(specialtiesController(container))
        .use(appointmentsController(container)),
    );
}

export type App = ReturnType<typeof createApp>;
