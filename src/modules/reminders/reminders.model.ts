import { type Static, Type } from '@sinclair/typebox';
import { defineCollection } from '../../db/index.ts';
import { literalUnion } from '../../shared/literal-union.ts';

/**
 * Reminder states, each change one conditional write on `due`:
 *   due -> sent      its time came while the appointment had not started: both emails enqueued in the same write's transaction
 *   due -> skipped   its time passed and the appointment started before any instance sent it
 *   due -> dropped   the appointment was cancelled, or moved (the move arms new ones for its new time)
 * The id is `<appointment>:<offset minutes>:<sequence>`, so arming twice makes one record per time,
 * and several instances claiming one reminder send it once.
 */
export const REMINDER_STATUSES = ['due', 'sent', 'skipped', 'dropped'] as const;
export type ReminderStatus = (typeof REMINDER_STATUSES)[number];

export const ReminderDoc = Type.Object(
  {
    _id: Type.String(),
    appointmentId: Type.String(),
    offsetMinutes: Type.Integer({ minimum: 0 }),
    /** The appointment's invite sequence when armed. */
    sequence: Type.Integer({ minimum: 0 }),
    dueAt: Type.Date(),
    startsAt: Type.Date(),
    status: literalUnion(REMINDER_STATUSES),
    createdAt: Type.Date(),
    updatedAt: Type.Date(),
  },
  { additionalProperties: false },
);
export type ReminderDoc = Static<typeof ReminderDoc>;

export const Reminders = defineCollection({
  name: 'reminders',
  schema: ReminderDoc,
  indexes: [{ keys: { status: 1, dueAt: 1 } }, { keys: { appointmentId: 1, status: 1 } }],
});

export const reminderId = (appointmentId: string, offsetMinutes: number, sequence: number): string =>
  `${appointmentId}:${offsetMinutes}:${sequence}`;
