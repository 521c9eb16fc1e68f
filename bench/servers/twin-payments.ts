/**
 * The payment routes of the booking twin (bench/servers/twin-booking.ts): the statements the app runs on
 * bun:sqlite, prepared directly, with the same checks and answers.
 *
 *   POST /api/v1/payments/checkout         auth (patient), body checks, the appointment, patient and doctor
 *                {method: "wallet"}        reads, the confirmation email rendered, one transaction (earlier
 *                                          attempts, the ledger key, the conditional wallet debit, the entry,
 *                                          slot held -> booked, appointment -> confirmed, the payment, the
 *                                          outbox record), one log line
 *   POST /api/v1/payments/razorpay/webhook HMAC of the raw body in constant time, the event-id read, the
 *                                          payment by order id, the event record, one log line
 * After the commit both deliver the confirmation: the outbox record claimed (queued -> sending), the
 * message kept in the dev mailbox, the record marked sent.
 */
import type { Database } from 'bun:sqlite';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Config } from '../../src/config.ts';
import { appointmentBookedEmail } from '../../src/modules/email-templates/appointment-booked.ts';
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
      `SELECT id, doc FROM "payments" WHERE ${field('appointmentId')} = ? AND ${field('status')} = ? AND (id IS NULL OR id != ?) ORDER BY id ASC`,
    ),
    entryByKey: db.query<Row, [string]>(
      `SELECT id, doc FROM "wallet_entries" WHERE ${field('key')} = ? ORDER BY id ASC LIMIT 1`,
    ),
    debit: db.query<Row, [number, number, number, string, string, number]>(
      `UPDATE "wallets" SET doc = json_set(doc, '$.balancePaise', ${field('balancePaise')} + ?, '$.reservedPaise', ${field('reservedPaise')} + ?, '$.availablePaise', ${field('availablePaise')} + ?, '$.updatedAt', json(?)) WHERE id = ? AND ${field('availablePaise')} >= ? RETURNING id, doc`,
    ),
    insert: (table: string) => db.query(`INSERT INTO "${table}" (id, doc) VALUES (?, ?)`),
    book: db.query<Row, [string, string, string, string, string]>(
      `UPDATE "slots" SET doc = json_remove(json_set(doc, '$.status', json(?), '$.heldBy', json(?), '$.updatedAt', json(?)), '$.holdExpiresAt') WHERE id = ? AND ${field('status')} = 'held' AND ${field('heldBy')} = ? RETURNING id, doc`,
    ),
    confirm: db.query<Row, [string, string, string, string, string]>(
      `UPDATE "appointments" SET doc = json_set(doc, '$.confirmedAt', json(?), '$.updatedAt', json(?), '$.status', json(?), '$.active', json('true')) WHERE id = ? AND ${field('status')} = 'pending_payment' AND ${field('holdExpiresAt')} > ? RETURNING id, doc`,
    ),
    claimOutbox: db.query<Row, [string, string, string]>(
      `UPDATE "outbox" SET doc = json_set(doc, '$.status', 'sending', '$.attempts', ${field('attempts')} + 1, '$.leaseUntil', json(?), '$.updatedAt', json(?)) WHERE id = ? AND ${field('status')} = 'queued' RETURNING id, doc`,
    ),
    markSent: db.query(
      `UPDATE "outbox" SET doc = json_remove(json_set(doc, '$.status', 'sent', '$.sentAt', json(?), '$.updatedAt', json(?)), '$.leaseUntil') WHERE id = ? AND ${field('status')} = 'sending'`,
    ),
    orderPayment: db.query<Row, [string]>(
      `SELECT id, doc FROM "payments" WHERE ${field('orderId')} = ? ORDER BY id ASC LIMIT 1`,
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

  /** What the app's deliverer does with the record once the transaction has committed. */
  const deliver = (outboxId: string) => {
    const at = json(new Date().toISOString());
    const claimed = sql.claimOutbox.all(json(new Date(Date.now() + 60_000).toISOString()), at, outboxId)[0];
    if (!claimed) return;
    const message = JSON.parse(JSON.parse(claimed.doc).body);
    insertMail.run(
      Bun.randomUUIDv7(),
      json({
        ...message,
        to: message.to.toLowerCase(),
        idempotencyKey: outboxId,
        sentAt: new Date().toISOString(),
      }),
    );
    sql.markSent.run(at, at, outboxId);
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
    const email = appointmentBookedEmail({
      reader: {
        name: patient.name,
        email: patient.email,
        timeZone: patient.timezone ?? config.DEFAULT_TIMEZONE,
      },
      counterpart: { name: doctor.name, email: doctor.email },
      organizer: { name: 'HealthVision', email: from },
      appointment: {
        id: row!.id,
        startsAt: new Date(appointment.startsAt),
        endsAt: new Date(appointment.endsAt),
        sequence: 0,
      },
      at: new Date(nowMs),
      payment: { amountPaise: fee, receiptId: paymentId },
    });
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
    const outboxId = Bun.randomUUIDv7();
    db.run('BEGIN IMMEDIATE');
    try {
      sql.openAttempts.all(row!.id, 'created', paymentId);
      const key = `debit:${paymentId}`;
      sql.entryByKey.get(key);
      const wallet = sql.debit.all(-fee, 0, -fee, json(now), claims.sub, fee)[0];
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
      if (!sql.book.all(json('booked'), json(row!.id), json(now), appointment.slotId, row!.id).length) {
        db.run('ROLLBACK');
        return notPayable('expired');
      }
      const updated = sql.confirm.all(json(now), json(now), json('confirmed'), row!.id, now)[0];
      if (!updated) {
        db.run('ROLLBACK');
        return notPayable('expired');
      }
      confirmed = JSON.parse(updated.doc);
      insertPayment.run(paymentId, json(payment));
      insertOutbox.run(
        outboxId,
        json({
          kind: 'email',
          recipient: email.to,
          subject: email.subject,
          body: json({
            to: email.to,
            subject: email.subject,
            text: email.text,
            html: email.html,
            attachments: email.attachments,
          }),
          sensitive: false,
          status: 'queued',
          attempts: 0,
          nextAttemptAt: now,
          createdAt: now,
          updatedAt: now,
        }),
      );
      db.run('COMMIT');
    } catch (error) {
      db.run('ROLLBACK');
      throw error;
    }
    logLine('info', 'appointment paid', { paymentId, appointmentId: row!.id, method: 'wallet' }, logLevel);
    setImmediate(() => deliver(outboxId));
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
