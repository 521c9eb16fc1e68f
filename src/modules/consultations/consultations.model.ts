import { type Static, Type } from '@sinclair/typebox';
import { t } from 'elysia';
import { defineCollection } from '../../db/index.ts';
import { ID_PATTERN } from '../../shared/ids.ts';
import { literalUnion } from '../../shared/literal-union.ts';

/** The two people of a call; an admin may read a consultation but never joins one. */
export const CALL_ROLES = ['patient', 'doctor'] as const;
export type CallRole = (typeof CALL_ROLES)[number];
export const otherRole = (role: CallRole): CallRole => (role === 'patient' ? 'doctor' : 'patient');

/**
 * A single-use ticket to open the signaling socket, stored by the SHA-256 of its text (the text itself is
 * only ever in the ticket answer). Used once: `usedAt` is set by one conditional write.
 */
export const CallTicketDoc = Type.Object(
  {
    _id: Type.String(),
    userId: Type.String(),
    role: literalUnion(CALL_ROLES),
    appointmentId: Type.String(),
    sessionId: Type.String(),
    createdAt: Type.Date(),
    expiresAt: Type.Date(),
    usedAt: Type.Optional(Type.Date()),
  },
  { additionalProperties: false },
);
export type CallTicketDoc = Static<typeof CallTicketDoc>;

export const CallTickets = defineCollection({
  name: 'call_tickets',
  schema: CallTicketDoc,
  indexes: [{ keys: { expiresAt: 1 } }],
});

/**
 * A consultation's states, each change one conditional write:
 *   waiting -> active   both people are in the room
 *   active  -> ended    both left after being active
 *   waiting | active -> ended   the window closed
 * `presence` keeps each join and leave, per role, in order, for later rules (no-show, refunds).
 */
export const CONSULTATION_STATUSES = ['waiting', 'active', 'ended'] as const;
export type ConsultationStatus = (typeof CONSULTATION_STATUSES)[number];

const PresenceEvent = Type.Object(
  { role: literalUnion(CALL_ROLES), event: literalUnion(['join', 'leave'] as const), at: Type.Date() },
  { additionalProperties: false },
);
export type PresenceEvent = Static<typeof PresenceEvent>;

/** One per appointment: `_id` is the appointment's id. */
export const ConsultationDoc = Type.Object(
  {
    _id: Type.String(),
    status: literalUnion(CONSULTATION_STATUSES),
    presence: Type.Array(PresenceEvent),
    startedAt: Type.Optional(Type.Date()),
    endedAt: Type.Optional(Type.Date()),
    createdAt: Type.Date(),
    updatedAt: Type.Date(),
  },
  { additionalProperties: false },
);
export type ConsultationDoc = Static<typeof ConsultationDoc>;

export const Consultations = defineCollection({
  name: 'consultations',
  schema: ConsultationDoc,
  indexes: [],
});

const Instant = t.String({ description: 'ISO 8601 instant, UTC', examples: ['2030-01-07T09:00:00.000Z'] });
const NullableInstant = t.Union([Instant, t.Null()]);

export const ConsultationIdParams = t.Object({ appointmentId: t.String({ pattern: ID_PATTERN }) });

export const IceServer = t.Object(
  {
    urls: t.Array(t.String()),
    username: t.Optional(t.String()),
    credential: t.Optional(t.String()),
  },
  { title: 'IceServer' },
);
export type IceServer = Static<typeof IceServer>;

export const TicketAnswer = t.Object(
  {
    ticket: t.String({ description: 'Single use; open `wsUrl?ticket=<ticket>` before it expires' }),
    expiresInSeconds: Type.Integer(),
    wsUrl: t.String({ description: 'The signaling socket, e.g. wss://api.example.org/ws/signaling' }),
    iceServers: t.Array(IceServer, { description: 'For `new RTCPeerConnection({ iceServers })`' }),
  },
  { title: 'CallTicket' },
);

export const Participant = t.Object({
  role: literalUnion(CALL_ROLES),
  joinedAt: Instant,
  leftAt: NullableInstant,
});

export const Consultation = t.Object(
  {
    appointmentId: t.String(),
    status: literalUnion(CONSULTATION_STATUSES),
    participants: t.Array(Participant, { description: 'Each stay in the room, in order of joining' }),
    startedAt: NullableInstant,
    endedAt: NullableInstant,
  },
  { title: 'Consultation' },
);
export type Consultation = Static<typeof Consultation>;
export const ConsultationEnvelope = t.Object({ consultation: Consultation });

/** Each join paired with the leave of the same role that followed it. */
export function participantsOf(presence: PresenceEvent[]): Consultation['participants'] {
  const stays: Consultation['participants'] = [];
  const open = new Map<CallRole, Consultation['participants'][number]>();
  for (const { role, event, at } of presence) {
    if (event === 'join') {
      const stay = { role, joinedAt: at.toISOString(), leftAt: null };
      stays.push(stay);
      open.set(role, stay);
    } else {
      const stay = open.get(role);
      if (stay) stay.leftAt = at.toISOString();
      open.delete(role);
    }
  }
  return stays;
}

export const toConsultation = (appointmentId: string, doc: ConsultationDoc | null): Consultation => ({
  appointmentId,
  status: doc?.status ?? 'waiting',
  participants: participantsOf(doc?.presence ?? []),
  startedAt: doc?.startedAt?.toISOString() ?? null,
  endedAt: doc?.endedAt?.toISOString() ?? null,
});
