import ical, {
  ICalAttendeeRole,
  ICalAttendeeStatus,
  ICalCalendarMethod,
  ICalEventStatus,
} from 'ical-generator';
import type { EmailAttachment } from '../../providers/email/port.ts';

export interface Party {
  name: string;
  email: string;
}

export interface CalendarInviteData {
  /** The appointment's id: the event's UID is made from it, so every update names the same event. */
  appointmentId: string;
  /** Grows with each change of the appointment (0 when booked, +1 per move or cancellation). */
  sequence: number;
  method: 'REQUEST' | 'CANCEL';
  startsAt: Date;
  endsAt: Date;
  summary: string;
  description: string;
  organizer: Party;
  attendee: Party;
  /** When this version of the invite was made (DTSTAMP). */
  stampedAt: Date;
}

/** The UID of an appointment's event, the same in every invite about it. */
export const eventUid = (appointmentId: string): string => `appointment-${appointmentId}@healthvision`;

/**
 * An iCalendar invite (RFC 5545/5546) for one appointment, with times in UTC: METHOD:REQUEST for a
 * booking or a move, METHOD:CANCEL for a cancellation. Attached as `invite.ics`.
 */
export function calendarInvite(data: CalendarInviteData): EmailAttachment {
  const method = data.method === 'CANCEL' ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.REQUEST;
  const calendar = ical({
    prodId: { company: 'HealthVision', product: 'Appointments', language: 'EN' },
    method,
  });
  calendar.createEvent({
    id: eventUid(data.appointmentId),
    sequence: data.sequence,
    stamp: data.stampedAt,
    start: data.startsAt,
    end: data.endsAt,
    summary: data.summary,
    description: data.description,
    organizer: { name: data.organizer.name, email: data.organizer.email },
    attendees: [
      {
        name: data.attendee.name,
        email: data.attendee.email,
        role: ICalAttendeeRole.REQ,
        status: data.method === 'CANCEL' ? ICalAttendeeStatus.DECLINED : ICalAttendeeStatus.ACCEPTED,
      },
    ],
    status: data.method === 'CANCEL' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
  });
  return {
    filename: 'invite.ics',
    contentType: `text/calendar; method=${data.method}; charset=UTF-8`,
    content: calendar.toString(),
  };
}
