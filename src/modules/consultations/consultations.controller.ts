import { Elysia, t } from 'elysia';
import { AppError, ForbiddenError, UnauthorizedError } from '../../shared/errors.ts';
import { requestOrigin } from '../../shared/public-urls.ts';
import { BODY_ERRORS, described, errors } from '../../shared/route-docs.ts';
import { type AuthPlugin, ROLE_ERRORS } from '../auth/auth.plugin.ts';
import { ConsultationEnvelope, ConsultationIdParams, TicketAnswer } from './consultations.model.ts';
import type { ConsultationsService } from './consultations.service.ts';
import type { SignalingHub } from './signaling-hub.ts';

const tags = ['Consultations'];
export const SIGNALING_PATH = '/ws/signaling';

/** Where a client opens the signaling socket: PUBLIC_URL's origin, else the one the request came to. */
const wsUrlFor = (origin: string): string => `${origin.replace(/^http/, 'ws')}${SIGNALING_PATH}`;

/** Tickets to a call and the consultation record, under /api/v1. */
export function consultationsController({
  consultations,
  auth,
  publicUrl,
  trustProxy,
}: {
  consultations: ConsultationsService;
  auth: AuthPlugin;
  publicUrl: string | undefined;
  trustProxy: boolean;
}) {
  return new Elysia({ name: 'consultations-controller', prefix: '/consultations' })
    .use(auth)
    .post(
      '/:appointmentId/ticket',
      async ({ user, params, request, status }) => {
        const issued = await consultations.issueTicket(user, params.appointmentId);
        const origin = publicUrl ? new URL(publicUrl).origin : requestOrigin(request, trustProxy);
        return status(201, { ...issued, wsUrl: wsUrlFor(origin) });
      },
      {
        auth: ['patient', 'doctor'],
        params: ConsultationIdParams,
        response: {
          201: described(
            TicketAnswer,
            'A single-use ticket for the signaling socket, and the ICE servers for RTCPeerConnection',
          ),
          ...errors(
            ...ROLE_ERRORS,
            ...BODY_ERRORS,
            'VALIDATION_FAILED',
            'APPOINTMENT_NOT_FOUND',
            'APPOINTMENT_NOT_CONFIRMED',
            'CALL_NOT_OPEN',
          ),
        },
        detail: {
          tags,
          summary: 'A ticket to join the video call of a confirmed appointment',
          description:
            "For the appointment's patient or doctor, from CALL_JOIN_EARLY_MINUTES before its start to " +
            'CALL_JOIN_LATE_MINUTES after its end (else 409 `CALL_NOT_OPEN` with `details.opensAt`/`closedAt`). ' +
            'Open `wsUrl?ticket=<ticket>` within `expiresInSeconds`; the ticket works once. `iceServers` holds ' +
            'STUN and, when set up, TURN entries with short-lived credentials. The socket messages are in ' +
            'docs/video-calls.md ("Messages").',
        },
      },
    )
    .get(
      '/:appointmentId',
      async ({ user, params }) => ({ consultation: await consultations.get(user, params.appointmentId) }),
      {
        auth: ['patient', 'doctor', 'admin'],
        params: ConsultationIdParams,
        response: {
          200: described(ConsultationEnvelope, 'The consultation: its status and who was present when'),
          ...errors(...ROLE_ERRORS, 'VALIDATION_FAILED', 'APPOINTMENT_NOT_FOUND'),
        },
        detail: {
          tags,
          summary: "The consultation record of an appointment: status and each person's joins and leaves",
          description:
            '`waiting` until both are in the room, then `active`, then `ended` once both left (or the call ' +
            'window closed). For its patient, its doctor and admins.',
        },
      },
    );
}

/**
 * The signaling socket: a ticket holder's GET is upgraded to Bun's native WebSocket, whose handlers the
 * hub gives the socket. Refusals are plain HTTP answers, before any upgrade.
 */
export function signalingController({
  consultations,
  hub,
  corsOrigins,
  trustProxy,
}: {
  consultations: ConsultationsService;
  hub: SignalingHub;
  corsOrigins: readonly string[];
  trustProxy: boolean;
}) {
  return new Elysia({ name: 'signaling-controller' }).get(
    SIGNALING_PATH,
    async ({ request, query, server, set }) => {
      if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket' || !server) {
        throw new AppError(400, 'WEBSOCKET_EXPECTED', 'Open this address as a WebSocket');
      }
      // Browsers always send Origin; native clients send none and are judged by the ticket alone.
      const origin = request.headers.get('origin');
      if (origin && origin !== requestOrigin(request, trustProxy) && !corsOrigins.includes(origin)) {
        throw new ForbiddenError('This page may not open the signaling socket', 'ORIGIN_NOT_ALLOWED');
      }
      const claims = await consultations.redeemTicket(query.ticket, query.appointmentId);
      if (!claims) {
        throw new UnauthorizedError(
          'The ticket is missing, used, expired or not for this room: ask for a new one',
          'INVALID_TICKET',
        );
      }
      // The 101 carries the request id like every other answer.
      const requestId = String(set.headers['x-request-id'] ?? '');
      const upgraded = server.upgrade(request, {
        data: hub.socketData(claims, server),
        ...(requestId ? { headers: { 'x-request-id': requestId } } : {}),
      });
      if (!upgraded) {
        throw new AppError(400, 'WEBSOCKET_EXPECTED', 'Open this address as a WebSocket');
      }
      return undefined;
    },
    {
      query: t.Object({
        ticket: t.Optional(t.String({ description: 'From POST /api/v1/consultations/:id/ticket' })),
        appointmentId: t.Optional(t.String({ description: 'When given, must be the ticket’s appointment' })),
      }),
      response: {
        101: t.Void({ description: 'Switching to the signaling WebSocket (messages: docs/video-calls.md)' }),
        ...errors('WEBSOCKET_EXPECTED', 'INVALID_TICKET', 'ORIGIN_NOT_ALLOWED'),
      },
      detail: {
        tags,
        summary: 'The signaling WebSocket of a call (upgrade with a ticket)',
        description:
          'JSON text frames `{ type, ... }`. Client: `offer {sdp}`, `answer {sdp}`, `ice {candidate}`, `leave`, ' +
          '`ping`. Server: `joined {role, peers}`, `peer-joined {role}`, `peer-left {role}`, the relayed ' +
          '`offer`/`answer`/`ice` with `from`, `pong`, `error {code, message}`. Close codes: 1008 policy ' +
          '(foreign room, signed out, rate limit), 1009 frame over 64 KB, 4000 replaced by your newer ' +
          'connection, 1001 server shutting down. A missing, used, expired or forged ticket is 401 ' +
          '`INVALID_TICKET`; a browser Origin not in CORS_ORIGINS is 403 `ORIGIN_NOT_ALLOWED`.',
      },
    },
  );
}
