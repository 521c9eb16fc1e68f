import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createApp } from '../../src/app.ts';
import type { InsertDoc } from '../../src/db/collection.ts';
import { DocumentValidationError, DuplicateKeyError, QueryError } from '../../src/db/errors.ts';
import { type AppointmentDoc, Appointments } from '../../src/modules/appointments/appointments.model.ts';
import { AppointmentsRepository } from '../../src/modules/appointments/appointments.repository.ts';
import { AppointmentsService } from '../../src/modules/appointments/appointments.service.ts';
import { SlotsRepository } from '../../src/modules/slots/slots.repository.ts';
import { Users } from '../../src/modules/users/users.model.ts';
import { AppError } from '../../src/shared/errors.ts';
import type { TestApp } from '../support/app.ts';
import { waitForLine } from '../support/app.ts';
import {
  appointmentsOnSlot,
  approvedDoctor,
  buildBookingApp,
  hold,
  hourFromNow,
  patients,
  publishSlots,
  storedSlot,
} from '../support/booking.ts';
import type { CreatedUser } from '../support/factories.ts';

let t: TestApp;
let doctor: CreatedUser;
let crowd: CreatedUser[];

beforeAll(async () => {
  t = await buildBookingApp();
  doctor = await approvedDoctor(t);
  crowd = await patients(t, 4);
});
afterAll(() => t.close());

/** The real app whose hold path runs through the given (deliberately buggy) repositories. */
function appWithHoldPath(repos: { appointments?: AppointmentsRepository; slots?: SlotsRepository }) {
  const c = t.container;
  const appointments = new AppointmentsService(
    c.store,
    repos.appointments ?? c.appointmentsRepo,
    repos.slots ?? c.slotsRepo,
    c.usersRepo,
    c.clock,
    c.logger,
    { holdSeconds: c.config.BOOKING_HOLD_SECONDS, maxHoldsPerPatient: c.config.MAX_HOLDS_PER_PATIENT },
  );
  const app = createApp({ ...c, appointments });
  return async (patient: CreatedUser, slotId: string) => {
    const response = await app.handle(
      new Request('http://localhost/api/v1/appointments', {
        method: 'POST',
        headers: { authorization: `Bearer ${patient.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ slotId }),
      }),
    );
    const text = await response.text();
    return { status: response.status, text, body: JSON.parse(text), headers: response.headers };
  };
}

const freshSlot = async (hours: number): Promise<string> => {
  const [slotId] = await publishSlots(t, doctor, hourFromNow(t, 2 + hours), 1);
  return slotId!;
};

/** The 500 a client sees: the generic envelope with the request id, nothing of the store. */
async function expectGenericFailure(
  res: Awaited<ReturnType<ReturnType<typeof appWithHoldPath>>>,
  leaks: string[],
  errorName: string,
) {
  const requestId = res.headers.get('x-request-id');
  expect(requestId).toBeTruthy();
  expect(res.status).toBe(500);
  expect(res.body).toEqual({
    error: { code: 'INTERNAL', message: 'Something went wrong on our side', details: { requestId } },
  });
  for (const leak of leaks) expect(res.text).not.toContain(leak);
  // The detail is in the log, under the same request id.
  const line = await waitForLine(
    t.logger.lines,
    (l) => l.msg === 'unhandled error' && l.requestId === requestId,
  );
  const error = line?.error as { name: string; message: string; stack: string } | undefined;
  expect(error?.name).toBe(errorName);
  expect(error?.stack).toContain(errorName);
  return error!;
}

describe('storage errors stay inside', () => {
  test('a schema-invalid write from a repository bug answers 500 with no collection, path or schema in the body; the detail is logged', async () => {
    class WritesAnUnknownField extends AppointmentsRepository {
      override insert(doc: InsertDoc<AppointmentDoc>) {
        return super.insert({ ...doc, paymentNote: 'oops' } as InsertDoc<AppointmentDoc>);
      }
    }
    const slotId = await freshSlot(1);
    const res = await appWithHoldPath({ appointments: new WritesAnUnknownField(t.container.store) })(
      crowd[0]!,
      slotId,
    );
    const error = await expectGenericFailure(
      res,
      ['appointments', 'paymentNote', 'schema', 'DocumentValidation'],
      'DocumentValidationError',
    );
    expect(error.message).toContain('appointments');
    expect(error.message).toContain('paymentNote');
    // The transaction rolled back: the claim is undone and nothing was stored.
    expect(await appointmentsOnSlot(t, slotId)).toEqual([]);
    expect((await storedSlot(t, slotId)).status).toBe('open');
  });

  test('a duplicate the repository does not expect (a reused _id) answers 500, not 409', async () => {
    const first = await hold(t, crowd[1]!, await freshSlot(2));
    expect(first.status).toBe(201);
    class ReusesAnId extends AppointmentsRepository {
      override insert(doc: InsertDoc<AppointmentDoc>) {
        return super.insert({ ...doc, _id: first.body.appointment.id });
      }
    }
    const slotId = await freshSlot(3);
    const res = await appWithHoldPath({ appointments: new ReusesAnId(t.container.store) })(crowd[2]!, slotId);
    const error = await expectGenericFailure(res, ['_id', 'appointments', 'DUPLICATE'], 'DuplicateKeyError');
    expect(error.message).toContain('appointments');
    expect(await appointmentsOnSlot(t, slotId)).toEqual([]);
  });

  test('a filter built wrongly by code answers 500 and changes nothing', async () => {
    const store = t.container.store;
    class ComparesADateWithText extends AppointmentsRepository {
      override countLiveHolds(patientId: string, now: Date) {
        // The bug: an ISO string against a Date field (SQLite would match, MongoDB never).
        return store
          .collection(Appointments)
          .count({ patientId, status: 'pending_payment', holdExpiresAt: { $gt: now.toISOString() } });
      }
    }
    const slotId = await freshSlot(4);
    const res = await appWithHoldPath({ appointments: new ComparesADateWithText(store) })(crowd[3]!, slotId);
    const error = await expectGenericFailure(res, ['holdExpiresAt', 'Filter', 'Date'], 'QueryError');
    expect(error.message).toContain('appointments.holdExpiresAt');
    expect(await appointmentsOnSlot(t, slotId)).toEqual([]);
  });

  test('a duplicate the repository expects answers its domain code: a second active appointment on a slot is 409 SLOT_UNAVAILABLE', async () => {
    const slotId = await freshSlot(5);
    const first = await hold(t, crowd[0]!, slotId);
    expect(first.status).toBe(201);
    // The bug: a claim that says yes without writing, so only the store's unique index stands in the way.
    class ClaimsAnything extends SlotsRepository {
      override claim(slotId: string) {
        return this.findById(slotId);
      }
    }
    const res = await appWithHoldPath({ slots: new ClaimsAnything(t.container.store) })(crowd[1]!, slotId);
    expect(res.status).toBe(409);
    expect(res.body.error).toEqual({ code: 'SLOT_UNAVAILABLE', message: 'The slot cannot be booked now' });
    expect(res.text).not.toContain('appointments__active_slot');
    const onSlot = await appointmentsOnSlot(t, slotId);
    expect(onSlot.map((a) => [a._id, a.patientId])).toEqual([[first.body.appointment.id, crowd[0]!.user.id]]);
  });

  test('a duplicate email reaching the users repository is 409 EMAIL_TAKEN, the first account untouched', async () => {
    const users = t.container.store.collection(Users);
    const existing = (await users.findById(crowd[0]!.user.id))!;
    const { _id, ...copy } = existing;
    const error = await t.container.usersRepo
      .create({ ...copy, email: existing.email.toUpperCase(), name: 'Someone Else' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ status: 409, code: 'EMAIL_TAKEN' });
    expect(await users.findAll({ email: existing.email })).toEqual([existing]);
  });

  test('the document layer throws plain errors, never domain errors with an HTTP status', () => {
    for (const error of [
      new DuplicateKeyError('users', 'users__email'),
      new DocumentValidationError('users', [{ path: 'email', message: 'is required' }]),
      new QueryError('Unsupported filter operator $where'),
    ]) {
      expect(error).not.toBeInstanceOf(AppError);
      expect(error).not.toHaveProperty('status');
      expect(error.name).toBe(error.constructor.name);
    }
  });
});

describe('the generic 500', () => {
  test('whatever is thrown, Error or not, answers the same body; the log keeps what was thrown', async () => {
    const { toErrorResponse } = await import('../../src/shared/http/error-envelope.ts');
    for (const [thrown, logged] of [
      [new TypeError('x is undefined'), { name: 'TypeError', message: 'x is undefined' }],
      ['a string', 'a string'],
    ] as const) {
      const requestId = crypto.randomUUID();
      const response = toErrorResponse({ code: 'UNKNOWN', error: thrown, requestId }, t.logger);
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({
        error: { code: 'INTERNAL', message: 'Something went wrong on our side', details: { requestId } },
      });
      const line = t.logger.lines.find((l) => l.msg === 'unhandled error' && l.requestId === requestId);
      expect(line?.error).toEqual(typeof logged === 'string' ? logged : expect.objectContaining(logged));
    }
  });
});
