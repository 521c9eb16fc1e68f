import { createHash } from 'node:crypto';
import type { Clock } from '../../shared/clock.ts';
import { type AppError, ConflictError, NotFoundError } from '../../shared/errors.ts';
import type { AppointmentDoc } from '../appointments/appointments.model.ts';
import type { AppointmentsRepository } from '../appointments/appointments.repository.ts';
import type { AuthUser, TokenService } from '../auth/tokens.service.ts';
import type { CallTicketsRepository } from './call-tickets.repository.ts';
import {
  type CallRole,
  type CallTicketDoc,
  type Consultation,
  type IceServer,
  toConsultation,
} from './consultations.model.ts';
import type { ConsultationsRepository } from './consultations.repository.ts';
import { type IceSettings, iceServersFor } from './ice-servers.ts';

export interface CallSettings extends IceSettings {
  ticketSeconds: number;
  joinEarlyMinutes: number;
  joinLateMinutes: number;
}

/** Who an accepted ticket lets into which room. */
export type TicketClaims = Pick<CallTicketDoc, 'userId' | 'role' | 'appointmentId' | 'sessionId'>;

const TICKET_PREFIX = 'hvct_';
const TICKET_PATTERN = /^hvct_[A-Za-z0-9_-]{43}$/;
const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

/** Call tickets, ICE servers and the consultation record of an appointment. */
export class ConsultationsService {
  constructor(
    private readonly appointments: AppointmentsRepository,
    private readonly tickets: CallTicketsRepository,
    private readonly consultations: ConsultationsRepository,
    private readonly tokens: Pick<TokenService, 'isSessionLive'>,
    private readonly clock: Clock,
    private readonly settings: CallSettings,
  ) {}

  /** The call's window: from `joinEarlyMinutes` before the start to `joinLateMinutes` after the end. */
  windowOf(appointment: Pick<AppointmentDoc, 'startsAt' | 'endsAt'>): { opensAt: Date; closedAt: Date } {
    return {
      opensAt: new Date(appointment.startsAt.getTime() - this.settings.joinEarlyMinutes * 60_000),
      closedAt: new Date(appointment.endsAt.getTime() + this.settings.joinLateMinutes * 60_000),
    };
  }

  /** A single-use ticket for the appointment's patient or doctor, while its call is open. */
  async issueTicket(
    user: AuthUser,
    appointmentId: string,
  ): Promise<{ ticket: string; expiresInSeconds: number; iceServers: IceServer[] }> {
    const appointment = await this.appointments.findById(appointmentId);
    const role = appointment ? roleIn(appointment, user) : null;
    if (!appointment || !role) throw notFound();
    if (appointment.status !== 'confirmed') {
      throw new ConflictError('APPOINTMENT_NOT_CONFIRMED', 'Only a confirmed appointment has a call', {
        status: appointment.status,
      });
    }
    const now = this.clock.now();
    const { opensAt, closedAt } = this.windowOf(appointment);
    if (now < opensAt || now >= closedAt) {
      throw new ConflictError(
        'CALL_NOT_OPEN',
        now < opensAt ? 'The call is not open yet' : 'The call has closed',
        { opensAt: opensAt.toISOString(), closedAt: closedAt.toISOString() },
      );
    }
    const ticket =
      TICKET_PREFIX + Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
    await this.tickets.record({
      _id: sha256(ticket),
      userId: user.id,
      role,
      appointmentId,
      sessionId: user.sessionId,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.settings.ticketSeconds * 1000),
    });
    return {
      ticket,
      expiresInSeconds: this.settings.ticketSeconds,
      iceServers: iceServersFor(this.settings, user.id, now),
    };
  }

  /**
   * Spends a ticket: who it admits, or null when it is missing, not ours, used, expired, for another
   * room than `appointmentId` (when given), or its session has ended.
   */
  async redeemTicket(ticket: string | undefined, appointmentId?: string): Promise<TicketClaims | null> {
    if (!ticket || !TICKET_PATTERN.test(ticket)) return null;
    const redeemed = await this.tickets.redeemOnce(sha256(ticket), this.clock.now());
    if (!redeemed) return null;
    if (appointmentId !== undefined && appointmentId !== redeemed.appointmentId) return null;
    if (!(await this.tokens.isSessionLive(redeemed.sessionId))) return null;
    return {
      userId: redeemed.userId,
      role: redeemed.role,
      appointmentId: redeemed.appointmentId,
      sessionId: redeemed.sessionId,
    };
  }

  /** The consultation of an appointment its patient, its doctor or an admin may see. */
  async get(user: AuthUser, appointmentId: string): Promise<Consultation> {
    const appointment = await this.appointments.findById(appointmentId);
    if (!appointment || (user.role !== 'admin' && !roleIn(appointment, user))) throw notFound();
    let doc = await this.consultations.find(appointmentId);
    const { closedAt } = this.windowOf(appointment);
    if (doc && doc.status !== 'ended' && this.clock.now() >= closedAt) {
      // The window closed with someone still in (or never both in): ended at the close.
      await this.consultations.markEnded(appointmentId, 'open', closedAt);
      doc = await this.consultations.find(appointmentId);
    }
    return toConsultation(appointmentId, doc);
  }

  recordJoin(appointmentId: string, role: CallRole): Promise<void> {
    return this.consultations.recordJoin(appointmentId, role, this.clock.now());
  }

  async recordLeave(appointmentId: string, role: CallRole): Promise<void> {
    await this.consultations.recordLeave(appointmentId, role, this.clock.now());
  }

  async markActive(appointmentId: string): Promise<void> {
    await this.consultations.markActive(appointmentId, this.clock.now());
  }

  async markEnded(appointmentId: string): Promise<void> {
    await this.consultations.markEnded(appointmentId, 'active', this.clock.now());
  }
}

const roleIn = (appointment: AppointmentDoc, user: AuthUser): CallRole | null =>
  appointment.patientId === user.id ? 'patient' : appointment.doctorId === user.id ? 'doctor' : null;

const notFound = (): AppError => new NotFoundError('No such appointment', 'APPOINTMENT_NOT_FOUND');
