/**
 * The payment routes of the booking twin (bench/servers/twin-booking.ts): the statements the app runs on
 * bun:sqlite, prepared directly, with the same checks and answers.
 *
 *   POST /api/v1/payments/checkout         auth (patient), body checks, the appointment, patient and doctor
 *                {method: "wallet"}        reads, both confirmation emails rendered, one transaction (earlier
 *                                          attempts, the ledger key, the conditional wallet debit, the entry,
 *                                          slot held -> booked, appointment -> confirmed, the reminders
 *                                          armed, the payment, the patient's and the doctor's outbox
 *                                          records), one log line
 *   POST /api/v1/payments/razorpay/webhook HMAC of the raw body in constant time, the event-id read, the
 *                                          payment by order id, the event record, one log line
 * After the commit both deliver the confirmations: the due records read, each claimed (queued -> sending),
 * its message kept in the dev mailbox, the record marked sent, and the due records read again.
 */
import type { Database } from 'bun:sqlite';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Config } from '../../src/config.ts';
import { appointmentBookedEmail } from '../../src/modules/email-templates/appointment-booked.ts';
import { reminderId } from '../../src/modules/reminders/reminders.model.ts';
import { type AccessClaims, type Exchange, envelope, type LogLevel, logLine } from './twin.ts';

type Answer = [status: number, body: string, headers?: Record<string, string>];
interface Row {
  id: string;
  doc: string;
}

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const json = (value: unknown) => JSON.stringify(value);

export function paymentRoutes(deps: {
  db: Database;
  config: Config;
  webhookSecret: string;
  logLevel: LogLevel;
  authenticate: (exchange: Exchange, roles: string[] | null) => Promise<AccessClaims | Answer>;
}) {
  const { db, config, logLevel, authenticate } = deps;
  const field = (path: string) => `json_extract(doc, '$.${path}')`;
  const sql = {
    byId: (table: string) => db.query<Row, [string]>(`SELECT id, doc FROM "${table}" WHERE id = ? LIMIT 1`),
    openAttempts: db.query<Row, [string, string, string]>(
      `SELECT id, doc FROM "payments" WHERE ${field('appointmentId')} = +? AND ${field('status')} = +? AND (id IS NULL OR id != +?) ORDER BY id ASC`,
    ),
    entryByKey: db.query<Row, [string]>(
      `SELECT id, doc FROM "wallet_entries" WHERE ${field('key')} = +? ORDER BY id ASC LIMIT 1`,
    ),
    debit: db.query<Row, [string, number, number, number, string, number]>(
      `UPDATE "wallets" SET doc = json_set(json_set(json_set(json_set(doc, '$.updatedAt', json(?)), '$.balancePaise', COALESCE(${field('balancePaise')}, 0) + ?), '$.reservedPaise', COALESCE(${field('reservedPaise')}, 0) + ?), '$.availablePaise', COALESCE(${field('availablePaise')}, 0) + ?) WHERE id = +? AND ${field('availablePaise')} >= +? RETURNING id, doc`,
    ),
    insert: (table: string) => db.query(`INSERT INTO "${table}" (id, doc) VALUES (?, ?)`),
    book: db.query<Row, [string, string, string, string, string, string]>(
      `UPDATE "slots" SET doc = json_remove(json_set(doc, '$.status', json(?), '$.heldBy', json(?), '$.updatedAt', json(?)), '$.holdExpiresAt') WHERE id = +? AND ${field('status')} = +? AND ${field('heldBy')} = +? RETURNING id, doc`,
    ),
    confirm: db.query<Row, [string, string, string, string, string, string, string]>(
      `UPDATE "appointments" SET doc = json_set(doc, '$.confirmedAt', json(?), '$.updatedAt', json(?), '$.status', json(?), '$.active', json(?)) WHERE id = +? AND ${field('status')} = +? AND ${field('holdExpiresAt')} > +? RETURNING id, doc`,
    ),
    dueOutbox: db.query<Row, [string, string, string, string]>(
      `SELECT id, doc FROM "outbox" WHERE ((${field('status')} = +? AND ${field('nextAttemptAt')} <= +?) OR (${field('status')} = +? AND ${field('leaseUntil')} <= +?)) ORDER BY ${field('nextAttemptAt')} ASC, id ASC LIMIT 10`,
    ),
    claimOutbox: db.query<Row, [string, string, string, number, string, number, string, string]>(
      `UPDATE "outbox" SET doc = json_set(json_set(doc, '$.status', json(?), '$.leaseUntil', json(?), '$.updatedAt', json(?)), '$.attempts', COALESCE(${field('attempts')}, 0) + ?) WHERE id = +? AND ${field('attempts')} = +? AND ${field('status')} = +? AND ${field('nextAttemptAt')} <= +? RETURNING id, doc`,
    ),
    markSent: db.query<never, [string, string, string, string, string, number]>(
      `UPDATE "outbox" SET doc = json_remove(json_set(doc, '$.status', json(?), '$.sentAt', json(?), '$.updatedAt', json(?)), '$.leaseUntil', '$.lastError') WHERE id = +? AND ${field('status')} = +? AND ${field('attempts')} = +?`,
    ),
    dueReminders: db.query<Row, [string, string]>(
      `SELECT id, doc FROM "reminders" WHERE ${field('appointmentId')} = +? AND ${field('status')} = +? ORDER BY id ASC`,
    ),
    orderPayment: db.query<Row, [string]>(
      `SELECT id, doc FROM "payments" WHERE ${field('orderId')} = +? ORDER BY id ASC LIMIT 1`,
    ),
  };
  const appointmentById = sql.byId('appointments');
  const userById = sql.byId('users');
  const eventById = sql.byId('webhook_events');
  const walletById = sql.byId('wallets');
  const insertEntry = sql.insert('wallet_entries');
  const insertPayment = sql.insert('payments');
  const insertOutbox = sql.insert('outbox');
  const insertEvent = sql.insert('webhook_events');
  const insertMail = sql.insert('dev_mailbox');
  const insertReminder = sql.insert('reminders');
  const reminderById = sql.byId('reminders');
  const reminderOffsets = config.REMINDER_OFFSETS_MINUTES.split(',').map(Number);

  /**
   * What the app's deliverer does once the transaction has committed: it reads what is due, claims each
   * record (queued -> sending), hands it to the dev mailbox, marks it sent, and reads again until none is due.
   */
  const deliver = () => {
    const now = new Date().toISOString();
    const due = sql.dueOutbox.all('queued', now, 'sending', now);
    for (const row of due) {
      const record = JSON.parse(row.doc);
      const lease = new Date(Date.now() + 60_000).toISOString();
      const claimed = sql.claimOutbox.all(
        json('sending'),
        json(lease),
        json(now),
        1,
        row.id,
        record.attempts,
        'queued',
        now,
      )[0];
      if (!claimed) continue;
      const message = JSON.parse(JSON.parse(claimed.doc).body);
      const sentAt = new Date().toISOString();
      insertMail.run(
        Bun.randomUUIDv7(),
        json({ ...message, to: message.to.toLowerCase(), idempotencyKey: row.id, sentAt }),
      );
      sql.markSent.run(json('sent'), json(sentAt), json(sentAt), row.id, 'sending', record.attempts + 1);
    }
    if (due.length) sql.dueOutbox.all('queued', now, 'sending', now);
  };
  const from = /<([^>]+)>/.exec(config.EMAIL_FROM)?.[1] ?? config.EMAIL_FROM;

  const notPayable = (status: string): Answer => [
    409,
    envelope('APPOINTMENT_NOT_PAYABLE', `This appointment cannot be paid for; it is ${status}`, { status }),
  ];

  async function checkout(exchange: Exchange): Promise<Answer> {
    const claims = await authenticate(exchange, ['patient']);
    if (Array.isArray(claims)) return claims;
    if (!exchange.request.headers.get('content-type')?.toLowerCase().startsWith('application/json'))
      return [415, envelope('UNSUPPORTED_MEDIA_TYPE', 'This route takes application/json')];
    let body: { appointmentId?: unknown; method?: unknown; walletPaise?: unknown };
    try {
      body = JSON.parse(await exchange.request.text());
    } catch {
      return [422, envelope('MALFORMED_BODY', 'The request body could not be parsed')];
    }
    if (typeof body?.appointmentId !== 'string' || !ID.test(body.appointmentId) || body.method !== 'wallet')
      return [422, envelope('VALIDATION_FAILED', 'The request is invalid')];
    const nowMs = Date.now();
    const now = new Date(nowMs).toISOString();
    const row = appointmentById.get(body.appointmentId);
    const appointment = row ? JSON.parse(row.doc) : null;
    if (!appointment || appointment.patientId !== claims.sub)
      return [404, envelope('APPOINTMENT_NOT_FOUND', 'No such appointment')];
    if (appointment.status !== 'pending_payment' || appointment.holdExpiresAt <= now)
      return notPayable(appointment.status);
    const patient = JSON.parse(userById.get(appointment.patientId)!.doc);
    const doctor = JSON.parse(userById.get(appointment.doctorId)!.doc);
    const fee: number = appointment.feePaise;
    const paymentId = Bun.randomUUIDv7();
    // As the app's AppointmentMail.booked: the patient's email with the receipt, then the doctor's.
    const mail = (reader: typeof patient, counterpart: typeof patient) => ({
      reader: {
        name: reader.name,
        email: reader.email,
        timeZone: reader.timezone ?? config.DEFAULT_TIMEZONE,
      },
      counterpart: { name: counterpart.name, email: counterpart.email },
      organizer: { name: 'HealthVision', email: from },
      appointment: {
        id: row!.id,
        startsAt: new Date(appointment.startsAt),
        endsAt: new Date(appointment.endsAt),
        sequence: appointment.sequence ?? 0,
      },
      at: new Date(nowMs),
    });
    const emails = [
      appointmentBookedEmail({
        ...mail(patient, doctor),
        payment: { amountPaise: fee, receiptId: paymentId },
      }),
      appointmentBookedEmail(mail(doctor, patient)),
    ];
    const payment = {
      userId: claims.sub,
      purpose: 'appointment',
      appointmentId: row!.id,
      method: 'wallet',
      amountPaise: fee,
      walletPaise: fee,
      gatewayPaise: 0,
      status: 'applied',
      refunds: [],
      createdAt: now,
      updatedAt: now,
      appliedAt: now,
    };
    let confirmed: Record<string, unknown>;
    db.run('BEGIN IMMEDIATE');
    try {
      sql.openAttempts.all(row!.id, 'created', paymentId);
      const key = `debit:${paymentId}`;
      sql.entryByKey.get(key);
      const wallet = sql.debit.all(json(now), -fee, 0, -fee, claims.sub, fee)[0];
      if (!wallet) {
        db.run('ROLLBACK');
        const current = walletById.get(claims.sub);
        return [
          402,
          envelope('INSUFFICIENT_FUNDS', 'The wallet does not hold enough for this', {
            availablePaise: current ? JSON.parse(current.doc).availablePaise : 0,
            neededPaise: fee,
          }),
        ];
      }
      const after = JSON.parse(wallet.doc);
      insertEntry.run(
        Bun.randomUUIDv7(),
        json({
          walletId: claims.sub,
          kind: 'debit',
          amountPaise: -fee,
          balanceAfterPaise: after.balancePaise,
          reservedAfterPaise: after.reservedPaise,
          ref: { type: 'payment', id: paymentId },
          key,
          createdAt: now,
        }),
      );
      if (
        !sql.book.all(json('booked'), json(row!.id), json(now), appointment.slotId, 'held', row!.id).length
      ) {
        db.run('ROLLBACK');
        return notPayable('expired');
      }
      const updated = sql.confirm.all(
        json(now),
        json(now),
        json('confirmed'),
        json(true),
        row!.id,
        'pending_payment',
        now,
      )[0];
      if (!updated) {
        db.run('ROLLBACK');
        return notPayable('expired');
      }
      confirmed = JSON.parse(updated.doc);
      // The reminders armed (RemindersService.arm): none due is dropped, then one record per offset.
      sql.dueReminders.all(row!.id, 'due');
      const sequence = appointment.sequence ?? 0;
      const startsAtMs = Date.parse(appointment.startsAt);
      for (const offset of reminderOffsets) {
        const id = reminderId(row!.id, offset, sequence);
        if (reminderById.get(id)) continue;
        insertReminder.run(
          id,
          json({
            appointmentId: row!.id,
            offsetMinutes: offset,
            sequence,
            dueAt: new Date(startsAtMs - offset * 60_000).toISOString(),
            startsAt: appointment.startsAt,
            status: 'due',
            createdAt: now,
            updatedAt: now,
          }),
        );
      }
      insertPayment.run(paymentId, json(payment));
      for (const email of emails) {
        insertOutbox.run(
          Bun.randomUUIDv7(),
          json({
            kind: 'email',
            recipient: email.to,
            subject: email.subject,
            body: json({
              to: email.to,
              subject: email.subject,
              text: email.text,
              html: email.html,
              ...(email.attachments?.length ? { attachments: email.attachments } : {}),
            }),
            sensitive: false,
            status: 'queued',
            attempts: 0,
            nextAttemptAt: now,
            createdAt: now,
            updatedAt: now,
          }),
        );
      }
      db.run('COMMIT');
    } catch (error) {
      db.run('ROLLBACK');
      throw error;
    }
    logLine('info', 'appointment paid', { paymentId, appointmentId: row!.id, method: 'wallet' }, logLevel);
    setImmediate(deliver);
    const { active: _active, confirmedAt: _at, ...shown } = confirmed;
    return [
      200,
      json({
        payment: {
          id: paymentId,
          purpose: 'appointment',
          appointmentId: row!.id,
          method: 'wallet',
          amountPaise: fee,
          walletPaise: fee,
          gatewayPaise: 0,
          currency: 'INR',
          status: 'applied',
          orderId: null,
          gatewayPaymentId: null,
          refunds: [],
          note: null,
          createdAt: now,
          updatedAt: now,
          appliedAt: now,
          failedAt: null,
          refundedAt: null,
        },
        appointment: { id: row!.id, ...shown },
      }),
    ];
  }

  async function webhook(exchange: Exchange): Promise<Answer> {
    const { request } = exchange;
    if (request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() !== 'application/json')
      return [415, envelope('UNSUPPORTED_MEDIA_TYPE', 'This route accepts application/json')];
    const raw = await request.text();
    const signature = request.headers.get('x-razorpay-signature');
    const eventId = request.headers.get('x-razorpay-event-id');
    const expected = Buffer.from(createHmac('sha256', deps.webhookSecret).update(raw).digest('hex'));
    const given = Buffer.from(signature ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return [400, envelope('INVALID_SIGNATURE', 'The signature does not match this payment')];
    if (eventId && eventById.get(eventId)) return [200, json({ status: 'duplicate' })];
    const event = JSON.parse(raw);
    const orderId = event.payload?.payment?.entity?.order_id;
    const payment = orderId ? sql.orderPayment.get(orderId) : null;
    const outcome = payment ? 'handled' : 'ignored';
    if (eventId)
      insertEvent.run(eventId, json({ event: String(event.event), receivedAt: new Date().toISOString() }));
    logLine('info', 'webhook received', { event: event.event, eventId, outcome }, logLevel);
    return [200, json({ status: outcome })];
  }

  return { checkout, webhook };
}
