import { describe, expect, test } from 'bun:test';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import {
  APPOINTMENT_STATUSES,
  Appointment,
  AppointmentDoc,
  AppointmentsQuery,
  isLapsedHold,
} from '../../src/modules/appointments/appointments.model.ts';
import { OUTBOX_STATUSES, OutboxDoc } from '../../src/modules/outbox/outbox.model.ts';
import {
  isLapsed,
  lapsedFilter,
  OwnSlot,
  OwnSlotsQuery,
  SKIP_REASONS,
  SkippedSlot,
  SLOT_STATUSES,
  SlotDoc,
  Slots,
} from '../../src/modules/slots/slots.model.ts';
import { APPROVAL_STATUSES, ApprovalStatus, ROLES, Role } from '../../src/modules/users/users.model.ts';
import { literalUnion } from '../../src/shared/literal-union.ts';
import { buildTestApp } from '../support/app.ts';

/** The values a union of literals admits, in order. */
const literals = (schema: TSchema): unknown[] =>
  (schema.anyOf as TSchema[] | undefined)?.map((member) => member.const) ?? [];

describe('literalUnion', () => {
  test('admits exactly the values of its list, as a union of literals with the options given', () => {
    const schema = literalUnion(['draft', 'sent'], { description: 'A state' });
    expect(literals(schema)).toEqual(['draft', 'sent']);
    expect(schema.description).toBe('A state');
    expect(schema.default).toBeUndefined();
    expect(Value.Check(schema, 'sent')).toBe(true);
    expect(Value.Check(schema, 'Sent')).toBe(false);
    expect(Value.Check(schema, 'other')).toBe(false);
  });

  test('every status schema, stored or public, is its state list', () => {
    const cases: [TSchema, readonly string[]][] = [
      [SlotDoc.properties.status, SLOT_STATUSES],
      [OwnSlot.properties.status, SLOT_STATUSES],
      [OwnSlotsQuery.properties.status, SLOT_STATUSES],
      [SkippedSlot.properties.reason, SKIP_REASONS],
      [AppointmentDoc.properties.status, APPOINTMENT_STATUSES],
      [Appointment.properties.status, APPOINTMENT_STATUSES],
      [AppointmentsQuery.properties.status, APPOINTMENT_STATUSES],
      [OutboxDoc.properties.status, OUTBOX_STATUSES],
      [Role, ROLES],
      [ApprovalStatus, APPROVAL_STATUSES],
    ];
    for (const [schema, list] of cases) expect(literals(schema)).toEqual([...list]);
  });
});

describe('lapsed holds', () => {
  const now = new Date('2030-01-07T09:00:00.000Z');
  const at = (ms: number) => new Date(now.getTime() + ms);

  test('a held slot lapses at its holdExpiresAt, not a millisecond before; other states never lapse', () => {
    expect(isLapsed({ status: 'held', holdExpiresAt: now }, now)).toBe(true);
    expect(isLapsed({ status: 'held', holdExpiresAt: at(-1) }, now)).toBe(true);
    expect(isLapsed({ status: 'held', holdExpiresAt: at(1) }, now)).toBe(false);
    expect(isLapsed({ status: 'held' }, now)).toBe(false);
    expect(isLapsed({ status: 'open' }, now)).toBe(false);
    expect(isLapsed({ status: 'booked', holdExpiresAt: at(-1) }, now)).toBe(false);
  });

  test('an unpaid hold lapses at its holdExpiresAt; a paid or final appointment never', () => {
    expect(isLapsedHold({ status: 'pending_payment', holdExpiresAt: now }, now)).toBe(true);
    expect(isLapsedHold({ status: 'pending_payment', holdExpiresAt: at(1) }, now)).toBe(false);
    for (const status of ['confirmed', 'expired', 'cancelled'] as const) {
      expect(isLapsedHold({ status, holdExpiresAt: at(-1) }, now)).toBe(false);
    }
  });

  test('the store filter selects the same slots as the predicate', async () => {
    const t = await buildTestApp();
    const slots = t.container.store.collection(Slots);
    const doctorId = crypto.randomUUID();
    const cases: Pick<SlotDoc, 'status' | 'holdExpiresAt'>[] = [
      { status: 'held', holdExpiresAt: at(-1) },
      { status: 'held', holdExpiresAt: now },
      { status: 'held', holdExpiresAt: at(1) },
      { status: 'open' },
      { status: 'booked', holdExpiresAt: at(-1) },
    ];
    const stored = await slots.insertMany(
      cases.map((state, i) => ({
        doctorId,
        startsAt: at((i + 1) * 3_600_000),
        endsAt: at((i + 1) * 3_600_000 + 1_800_000),
        ...state,
        createdAt: now,
        updatedAt: now,
      })),
    );
    const selected = await slots.findAll({ doctorId, ...lapsedFilter(now) }, { sort: { startsAt: 1 } });
    expect(selected.map((slot) => slot._id)).toEqual(
      stored.filter((slot) => isLapsed(slot, now)).map((slot) => slot._id),
    );
    expect(selected).toHaveLength(2);
    await t.close();
  });
});
