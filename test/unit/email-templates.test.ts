import { describe, expect, test } from 'bun:test';
import ICAL from 'ical.js';
import type { AppointmentEmailData } from '../../src/modules/email-templates/appointment.ts';
import { appointmentBookedEmail } from '../../src/modules/email-templates/appointment-booked.ts';
import { appointmentCancelledEmail } from '../../src/modules/email-templates/appointment-cancelled.ts';
import { appointmentMovedEmail } from '../../src/modules/email-templates/appointment-moved.ts';
import { eventUid } from '../../src/modules/email-templates/calendar-invite.ts';
import { doctorRejectedEmail } from '../../src/modules/email-templates/doctor-rejected.ts';
import { formatInZone } from '../../src/modules/email-templates/layout.ts';
import { verificationCodeEmail } from '../../src/modules/email-templates/verification-code.ts';
import { retryDelaySeconds } from '../../src/modules/outbox/outbox.deliverer.ts';

const startsAt = new Date('2026-03-10T04:00:00Z');
const booking = (sequence: number, at = startsAt): AppointmentEmailData => ({
  reader: { name: 'Asha <b>Rao</b>', email: 'asha@example.test', timeZone: 'America/New_York' },
  counterpart: { name: 'Dr Mehta & Sons', email: 'mehta@example.test' },
  organizer: { name: 'HealthVision', email: 'no-reply@healthvision.test' },
  appointment: { id: 'appt-123', startsAt: at, endsAt: new Date(at.getTime() + 30 * 60_000), sequence },
  at: new Date('2026-03-01T12:00:00Z'),
});

/** Parses an invite with ical.js, a parser independent of the generator. */
const parse = (content: string) => {
  const calendar = new ICAL.Component(ICAL.parse(content));
  const vevent = calendar.getFirstSubcomponent('vevent')!;
  return { calendar, vevent, event: new ICAL.Event(vevent) };
};

describe('templates', () => {
  test('every interpolated value is escaped in the HTML, kept as is in the text', () => {
    const message = doctorRejectedEmail({
      to: 'dr@example.test',
      name: '<script>alert(1)</script>',
      reason: 'Licence "R&D" <expired>',
      reviewedAt: startsAt,
      timeZone: 'Asia/Kolkata',
    });
    expect(message.html).not.toContain('<script>');
    expect(message.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(message.html).toContain('Licence &quot;R&amp;D&quot; &lt;expired&gt;');
    expect(message.text).toContain('Hello <script>alert(1)</script>,');
    expect(message.text).toContain('Reason: Licence "R&D" <expired>');
  });

  test('one layout: greeting, body, signature and footer in every message', () => {
    const code = verificationCodeEmail({
      to: 'a@example.test',
      name: 'Asha',
      code: '123456',
      ttlMinutes: 10,
    });
    const booked = appointmentBookedEmail(booking(0));
    for (const message of [code, booked]) {
      expect(message.html).toStartWith('<!doctype html>');
      expect(message.html).toContain('<h1 style="font-size:18px;margin:0 0 16px">HealthVision</h1>');
      expect(message.text).toContain('- The HealthVision team');
      expect(message.text).toEndWith('You received this email because of your HealthVision account.\n');
    }
    expect(code.text).toContain('Your verification code is 123456. It is valid for 10 minutes');
  });

  test("times are in the reader's zone, with the zone named", () => {
    expect(formatInZone(startsAt, 'Asia/Kolkata')).toBe(
      'Tuesday, 10 March 2026 at 9:30 am GMT+5:30 (Asia/Kolkata)',
    );
    const booked = appointmentBookedEmail(booking(0));
    // 04:00 UTC on 10 March is 00:00 in New York (UTC-4 from 8 March).
    expect(booked.subject).toBe(
      'Appointment confirmed: Tuesday, 10 March 2026 at 12:00 am GMT-4 (America/New_York)',
    );
    expect(booked.text).toContain(
      'Dr Mehta & Sons is confirmed for Tuesday, 10 March 2026 at 12:00 am GMT-4 (America/New_York)',
    );
  });
});

describe('calendar invites (generated with ical-generator, parsed back with ical.js)', () => {
  test('a booking: METHOD:REQUEST, stable UID, SEQUENCE 0, organizer, attendee, UTC times', () => {
    const [invite] = appointmentBookedEmail(booking(0)).attachments!;
    expect(invite!.filename).toBe('invite.ics');
    expect(invite!.contentType).toBe('text/calendar; method=REQUEST; charset=UTF-8');
    const { calendar, vevent, event } = parse(invite!.content);
    expect(calendar.getFirstPropertyValue('method')).toBe('REQUEST');
    expect(event.uid).toBe(eventUid('appt-123'));
    expect(event.sequence).toBe(0);
    expect(event.startDate.toJSDate().toISOString()).toBe('2026-03-10T04:00:00.000Z');
    expect(event.endDate.toJSDate().toISOString()).toBe('2026-03-10T04:30:00.000Z');
    expect(event.startDate.zone?.tzid).toBe('UTC');
    expect(invite!.content).toMatch(/DTSTART:20260310T040000Z/);
    expect(String(vevent.getFirstPropertyValue('organizer')).toLowerCase()).toBe(
      'mailto:no-reply@healthvision.test',
    );
    expect(vevent.getFirstProperty('organizer')!.getParameter('cn')).toBe('HealthVision');
    const attendee = vevent.getFirstProperty('attendee')!;
    expect(String(attendee.getFirstValue()).toLowerCase()).toBe('mailto:asha@example.test');
    expect(attendee.getParameter('role')).toBe('REQ-PARTICIPANT');
    expect(vevent.getFirstPropertyValue('status')).toBe('CONFIRMED');
    expect(event.summary).toBe('HealthVision consultation with Dr Mehta & Sons');
  });

  test('a move: the same UID with a higher SEQUENCE and the new time, still METHOD:REQUEST', () => {
    const moved = appointmentMovedEmail({
      ...booking(1, new Date('2026-03-11T10:00:00Z')),
      previousStartsAt: startsAt,
    });
    const { calendar, event } = parse(moved.attachments![0]!.content);
    expect(calendar.getFirstPropertyValue('method')).toBe('REQUEST');
    expect(event.uid).toBe(eventUid('appt-123'));
    expect(event.sequence).toBe(1);
    expect(event.startDate.toJSDate().toISOString()).toBe('2026-03-11T10:00:00.000Z');
    expect(moved.text).toContain(
      'moved from Tuesday, 10 March 2026 at 12:00 am GMT-4 (America/New_York) to Wednesday, 11 March 2026 at 6:00 am GMT-4 (America/New_York)',
    );
  });

  test('a cancellation: METHOD:CANCEL, STATUS:CANCELLED, the same UID, a higher SEQUENCE', () => {
    const cancelled = appointmentCancelledEmail({ ...booking(2), reason: 'Doctor unavailable' });
    const [invite] = cancelled.attachments!;
    expect(invite!.contentType).toBe('text/calendar; method=CANCEL; charset=UTF-8');
    const { calendar, vevent, event } = parse(invite!.content);
    expect(calendar.getFirstPropertyValue('method')).toBe('CANCEL');
    expect(vevent.getFirstPropertyValue('status')).toBe('CANCELLED');
    expect(event.uid).toBe(eventUid('appt-123'));
    expect(event.sequence).toBe(2);
  });
});

describe('retry delays', () => {
  test('exponential from the base, capped at the max, with equal jitter', () => {
    expect(retryDelaySeconds(1, 30, 3600, () => 0)).toBe(15);
    expect(retryDelaySeconds(1, 30, 3600, () => 1)).toBe(30);
    expect(retryDelaySeconds(2, 30, 3600, () => 1)).toBe(60);
    expect(retryDelaySeconds(4, 30, 3600, () => 0.5)).toBe(180);
    expect(retryDelaySeconds(8, 30, 3600, () => 1)).toBe(3600);
    expect(retryDelaySeconds(20, 30, 3600, () => 0)).toBe(1800);
  });
});
