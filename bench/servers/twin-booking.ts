/**
 * The twin of the booking routes: Bun.serve and the statements the app runs, prepared directly on
 * bun:sqlite over the same kind of file, with the same checks and the same answers. Started with the
 * app's environment (`bun bench/servers/twin-booking.ts`), read by the same config loader.
 *
 *   POST /api/v1/appointments               auth (patient), body and Idempotency-Key checks, the key's
 *                                           record, slot and doctor reads, one transaction (the
 *                                           patient's hold lock, the live-hold count, claim, lapsed
 *                                           holders, insert), the doctor summary read, the key's
 *                                           completion, two log lines
 *   GET  /api/v1/appointments/:id           auth (any role), one read by id, the party check, the doctor summary read
 *   GET  /api/v1/doctors/:id/slots          query checks, the approved-doctor read, the page query
 */
import { Database } from 'bun:sqlite';
import { devPaymentSecretFile, devSecret, loadConfig } from '../../src/config.ts';
import { textProblem } from '../../src/shared/text.ts';
import {
  type AccessClaims,
  accessVerifier,
  begin,
  type Exchange,
  envelope,
  finish,
  logLine,
} from './twin.ts';
import { paymentRoutes } from './twin-payments.ts';

const config = loadConfig(Bun.env);
const logLevel = config.LOG_LEVEL === 'debug' ? 'debug' : 'info';
const filename = config.DATABASE_URL.replace(/^sqlite:/, '');
const db = new Database(filename, { create: false, strict: false });
db.run('PRAGMA journal_mode = WAL');
db.run('PRAGMA busy_timeout = 5000');
db.run('PRAGMA synchronous = NORMAL');

interface Row {
  id: string;
  doc: string;
}
const field = (path: string) => `json_extract(doc, '$.${path}')`;
const claimable = `((${field('status')} = +?) OR (${field('status')} = +? AND ${field('holdExpiresAt')} <= +?))`;
const sql = {
  sessionById: db.query<Row, [string]>('SELECT id, doc FROM "sessions" WHERE id = ? LIMIT 1'),
  slotById: db.query<Row, [string]>('SELECT id, doc FROM "slots" WHERE id = ? LIMIT 1'),
  userById: db.query<Row, [string]>('SELECT id, doc FROM "users" WHERE id = ? LIMIT 1'),
  appointmentById: db.query<Row, [string]>('SELECT id, doc FROM "appointments" WHERE id = ? LIMIT 1'),
  insertKey: db.query('INSERT INTO "idempotency_keys" (id, doc) VALUES (?, ?)'),
  findKey: db.query<Row, [string, string]>(
    `SELECT id, doc FROM "idempotency_keys" WHERE ${field('userId')} = +? AND ${field('key')} = +? ORDER BY id ASC LIMIT 1`,
  ),
  completeKey: db.query<never, [string, string, string, string, string, string]>(
    `UPDATE "idempotency_keys" SET doc = json_set(doc, '$.state', json(?), '$.response', json(?), '$.updatedAt', json(?)) WHERE id = +? AND ${field('leaseId')} = +? AND ${field('state')} = +?`,
  ),
  releaseKey: db.query(
    `DELETE FROM "idempotency_keys" WHERE id = +? AND ${field('leaseId')} = +? AND ${field('state')} = +?`,
  ),
  lockPatientHolds: db.query<never, [number, string]>(
    `UPDATE "users" SET doc = json_set(doc, '$.holdRevision', COALESCE(${field('holdRevision')}, 0) + ?) WHERE id = +?`,
  ),
  countLiveHolds: db.query<{ n: number }, [string, string, string]>(
    `SELECT COUNT(*) AS n FROM "appointments" WHERE ${field('patientId')} = +? AND ${field('status')} = +? AND ${field('holdExpiresAt')} > +?`,
  ),
  claim: db.query<Row, [string, string, string, string, string, string, string, string, string]>(
    `UPDATE "slots" SET doc = json_set(doc, '$.status', json(?), '$.heldBy', json(?), '$.holdExpiresAt', json(?), '$.updatedAt', json(?)) WHERE id = +? AND ${field('startsAt')} > +? AND ${claimable} RETURNING id, doc`,
  ),
  activeOnSlot: db.query<Row, [string, string, string, string]>(
    `SELECT id, doc FROM "appointments" WHERE ${field('slotId')} = +? AND ${field('status')} IN (+?, +?) AND (id IS NULL OR id != +?) ORDER BY id ASC`,
  ),
  markExpired: db.query<Row, [string, string, string, string, string, string]>(
    `UPDATE "appointments" SET doc = json_remove(json_set(doc, '$.expiredAt', json(?), '$.updatedAt', json(?), '$.status', json(?)), '$.active') WHERE id = +? AND ${field('status')} = +? AND ${field('holdExpiresAt')} <= +? RETURNING id, doc`,
  ),
  insertAppointment: db.query('INSERT INTO "appointments" (id, doc) VALUES (?, ?)'),
};
const SLOT_PAGE_MAX = 500;
const pageQueries = new Map<number, ReturnType<typeof db.query<Row, string[]>>>();
/** The listing's page query; the engine writes LIMIT into the SQL, so one statement per page size. */
const pageQuery = (limit: number) => {
  let query = pageQueries.get(limit);
  if (!query) {
    query = db.query<Row, string[]>(
      `SELECT id, doc FROM "slots" WHERE ${field('doctorId')} = +? AND ${field('startsAt')} >= +? AND ${field('startsAt')} > +? AND ${field('startsAt')} < +? AND ${claimable} ORDER BY ${field('startsAt')} ASC, id ASC LIMIT ${limit + 1}`,
    );
    pageQueries.set(limit, query);
  }
  return query;
};

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const IDEMPOTENCY_KEY = /^[\x21-\x7E]+$/;
/** RFC 3339 date-time, as TypeBox's `date-time` format reads it. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;
const DAY_MS = 86_400_000;
const HOLD_SCOPE = 'POST /appointments';
const json = (value: unknown) => JSON.stringify(value);
const verify = accessVerifier(
  { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
  Bun.env.TWIN_JWT === 'hmac' ? 'hmac' : 'library',
);

type Answer = [status: number, body: string, headers?: Record<string, string>];
const unauthorized = (code: string, message: string): Answer => [
  401,
  envelope(code, message),
  { 'www-authenticate': 'Bearer' },
];

/** Token checks, then the session by primary key: live, and the token's user's. */
async function authenticate(exchange: Exchange, roles: string[] | null): Promise<AccessClaims | Answer> {
  const authorization = exchange.request.headers.get('authorization');
  if (authorization === null) return unauthorized('UNAUTHORIZED', 'A bearer access token is required');
  const now = Date.now();
  const claims = await verify(authorization, now);
  if (!claims) return unauthorized('INVALID_TOKEN', 'The access token is invalid');
  const row = sql.sessionById.get(claims.sid);
  const session = row ? JSON.parse(row.doc) : null;
  if (!session || session.revokedAt || Date.parse(session.expiresAt) <= now || session.userId !== claims.sub)
    return unauthorized('SESSION_REVOKED', 'The session has ended; sign in again');
  if (roles && !roles.includes(claims.role)) return [403, envelope('FORBIDDEN', 'Your role cannot do this')];
  return claims;
}

/** The other party's summary the route adds: the doctor, for a patient (one `$in` read, as the app's). */
function doctorSummary(doctorId: unknown) {
  const row = sql.userById.get(doctorId as string);
  if (!row) return {};
  const user = JSON.parse(row.doc);
  return {
    doctor: {
      id: row.id,
      name: user.name,
      specialty: user.doctor?.specialty ?? '',
      ...(user.avatarUrl ? { avatarUrl: user.avatarUrl } : {}),
    },
  };
}

const toAppointment = (id: string, doc: Record<string, unknown>) => ({
  id,
  patientId: doc.patientId,
  doctorId: doc.doctorId,
  slotId: doc.slotId,
  startsAt: doc.startsAt,
  endsAt: doc.endsAt,
  status: doc.status,
  feePaise: doc.feePaise,
  holdExpiresAt: doc.holdExpiresAt,
  ...(doc.reason === undefined ? {} : { reason: doc.reason }),
  createdAt: doc.createdAt,
  updatedAt: doc.updatedAt,
});

const invalid = (issues: { path: string; message: string }[]): Answer => [
  422,
  envelope('VALIDATION_FAILED', 'The request is invalid', { issues }),
];
const conflict = (code: string, message: string): Answer => [409, envelope(code, message)];
const slotUnavailable = (message = 'The slot cannot be booked now') => conflict('SLOT_UNAVAILABLE', message);
const tooManyHolds = () =>
  conflict(
    'TOO_MANY_HOLDS',
    `You already hold ${config.MAX_HOLDS_PER_PATIENT} unpaid appointments; pay for or cancel one before holding another`,
  );

async function hold(exchange: Exchange): Promise<Answer> {
  const { request } = exchange;
  const claims = await authenticate(exchange, ['patient']);
  if (Array.isArray(claims)) return claims;
  const length = Number(request.headers.get('content-length') ?? 0);
  if (length > config.BODY_LIMIT_BYTES)
    return [413, envelope('PAYLOAD_TOO_LARGE', 'The request body is too large')];
  if (!request.headers.get('content-type')?.toLowerCase().startsWith('application/json'))
    return [415, envelope('UNSUPPORTED_MEDIA_TYPE', 'This route takes application/json')];
  let body: { slotId?: unknown; reason?: unknown };
  try {
    body = JSON.parse(await request.text());
  } catch {
    return [422, envelope('MALFORMED_BODY', 'The request body could not be parsed')];
  }
  if (body === null || typeof body !== 'object')
    return invalid([{ path: '(root)', message: 'not an object' }]);
  if (typeof body.slotId !== 'string' || !ID.test(body.slotId))
    return invalid([{ path: 'slotId', message: 'not an id' }]);
  const reason = body.reason;
  if (
    reason !== undefined &&
    (typeof reason !== 'string' ||
      reason.length < 1 ||
      reason.length > 500 ||
      textProblem(reason, true) !== undefined)
  )
    return invalid([{ path: 'reason', message: 'not acceptable text' }]);
  const input = { slotId: body.slotId, ...(reason === undefined ? {} : { reason: reason as string }) };
  const key = request.headers.get('idempotency-key');
  if (key !== null && (key.length > 255 || !IDEMPOTENCY_KEY.test(key)))
    return invalid([{ path: 'idempotency-key', message: 'not a key' }]);

  let lease: { id: string; leaseId: string } | null = null;
  if (key !== null) {
    const canonical =
      input.reason === undefined
        ? `{"slotId":${json(input.slotId)}}`
        : `{"reason":${json(input.reason)},"slotId":${json(input.slotId)}}`;
    const requestHash = new Bun.CryptoHasher('sha256').update(`${HOLD_SCOPE}\n${canonical}`).digest('hex');
    const now = Date.now();
    const id = Bun.randomUUIDv7();
    const leaseId = Bun.randomUUIDv7();
    const at = new Date(now).toISOString();
    try {
      sql.insertKey.run(
        id,
        json({
          userId: claims.sub,
          key,
          state: 'in_progress',
          createdAt: at,
          updatedAt: at,
          scope: HOLD_SCOPE,
          requestHash,
          leaseId,
          leaseExpiresAt: new Date(now + 60_000).toISOString(),
          expiresAt: new Date(now + DAY_MS).toISOString(),
        }),
      );
      lease = { id, leaseId };
    } catch {
      // The key is taken: a replay of the stored answer, another body's 422, or still in progress.
      const row = sql.findKey.get(claims.sub, key);
      const stored = row ? JSON.parse(row.doc) : null;
      if (!stored)
        return conflict('IDEMPOTENCY_KEY_IN_PROGRESS', 'The Idempotency-Key is contended; retry shortly');
      if (stored.scope !== HOLD_SCOPE || stored.requestHash !== requestHash)
        return [
          422,
          envelope('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request'),
        ];
      if (stored.state === 'completed')
        return [stored.response.status, stored.response.body, { 'idempotent-replayed': 'true' }];
      return conflict(
        'IDEMPOTENCY_KEY_IN_PROGRESS',
        'A request with this Idempotency-Key is still being processed',
      );
    }
  }
  const answer = placeHold(claims.sub, input);
  if (lease) {
    if (answer[0] === 201) {
      const updatedAt = json(new Date().toISOString());
      sql.completeKey.run(
        json('completed'),
        json({ status: 201, body: answer[1] }),
        updatedAt,
        lease.id,
        lease.leaseId,
        'in_progress',
      );
    } else sql.releaseKey.run(lease.id, lease.leaseId, 'in_progress');
  }
  return answer;
}

function placeHold(patientId: string, input: { slotId: string; reason?: string }): Answer {
  const nowMs = Date.now();
  const now = new Date(nowMs).toISOString();
  const slotRow = sql.slotById.get(input.slotId);
  if (!slotRow) return [404, envelope('SLOT_NOT_FOUND', 'No such slot')];
  const slot = JSON.parse(slotRow.doc);
  const doctorRow = sql.userById.get(slot.doctorId);
  const doctor = doctorRow ? JSON.parse(doctorRow.doc) : null;
  if (doctor?.role !== 'doctor' || doctor.doctor?.approvalStatus !== 'approved')
    return slotUnavailable('The doctor is not taking bookings');
  if (slot.startsAt <= now) return slotUnavailable('The slot has already started');
  const lapsed = slot.status === 'held' && slot.holdExpiresAt !== undefined && slot.holdExpiresAt <= now;
  if (slot.status !== 'open' && !lapsed) return slotUnavailable();
  const max = config.MAX_HOLDS_PER_PATIENT;

  const appointmentId = Bun.randomUUIDv7();
  const holdExpiresAt = new Date(
    Math.min(nowMs + config.BOOKING_HOLD_SECONDS * 1000, Date.parse(slot.startsAt)),
  ).toISOString();
  const doc = {
    patientId,
    doctorId: slot.doctorId,
    slotId: slotRow.id,
    startsAt: slot.startsAt,
    endsAt: slot.endsAt,
    status: 'pending_payment',
    feePaise: doctor.doctor.consultationFeePaise,
    holdExpiresAt,
    ...(input.reason === undefined ? {} : { reason: input.reason }),
    createdAt: now,
    updatedAt: now,
    active: true,
  };
  const retired: string[] = [];
  db.run('BEGIN IMMEDIATE');
  try {
    // The patient's hold lock, then the limit counted inside the transaction.
    sql.lockPatientHolds.run(1, patientId);
    if (sql.countLiveHolds.get(patientId, 'pending_payment', now)!.n >= max) {
      db.run('ROLLBACK');
      return tooManyHolds();
    }
    const claimed = sql.claim.all(
      json('held'),
      json(appointmentId),
      json(holdExpiresAt),
      json(now),
      slotRow.id,
      now,
      'open',
      'held',
      now,
    );
    if (claimed.length === 0) {
      db.run('ROLLBACK');
      return slotUnavailable();
    }
    for (const previous of sql.activeOnSlot.all(slotRow.id, 'pending_payment', 'confirmed', appointmentId)) {
      const prior = JSON.parse(previous.doc);
      if (prior.status === 'pending_payment' && prior.holdExpiresAt <= now) {
        const expired = sql.markExpired.all(
          json(now),
          json(now),
          json('expired'),
          previous.id,
          'pending_payment',
          now,
        );
        if (expired.length) retired.push(previous.id);
      }
    }
    sql.insertAppointment.run(appointmentId, json(doc));
    db.run('COMMIT');
  } catch (error) {
    db.run('ROLLBACK');
    if (String(error).includes('UNIQUE')) return slotUnavailable();
    throw error;
  }
  for (const id of retired)
    logLine('info', 'hold expired', { appointmentId: id, slotId: slotRow.id, by: 'claim' }, logLevel);
  logLine('info', 'hold placed', { appointmentId, slotId: slotRow.id, patientId }, logLevel);
  return [
    201,
    json({ appointment: { ...toAppointment(appointmentId, doc), ...doctorSummary(doc.doctorId) } }),
  ];
}

async function readAppointment(exchange: Exchange, id: string): Promise<Answer> {
  const claims = await authenticate(exchange, null);
  if (Array.isArray(claims)) return claims;
  if (!ID.test(id)) return invalid([{ path: 'id', message: 'not an id' }]);
  const row = sql.appointmentById.get(id);
  const doc = row ? JSON.parse(row.doc) : null;
  if (!doc || (claims.role !== 'admin' && doc.patientId !== claims.sub && doc.doctorId !== claims.sub))
    return [404, envelope('APPOINTMENT_NOT_FOUND', 'No such appointment')];
  // The bench reads as the patient, so the summary is the doctor's (a doctor would see the patient's).
  const summary = claims.role === 'patient' ? doctorSummary(doc.doctorId) : {};
  return [200, json({ appointment: { ...toAppointment(row!.id, doc), ...summary } })];
}

function listSlots(exchange: Exchange, doctorId: string): Answer {
  const query = new URL(exchange.request.url).searchParams;
  const issues: { path: string; message: string }[] = [];
  if (!ID.test(doctorId)) issues.push({ path: 'id', message: 'not an id' });
  const fromText = query.get('from') || null;
  const toText = query.get('to') || null;
  const limitText = query.get('limit') || null;
  const cursor = query.get('cursor') || null;
  if (fromText !== null && !DATE_TIME.test(fromText))
    issues.push({ path: 'from', message: 'not a date-time' });
  if (toText !== null && !DATE_TIME.test(toText)) issues.push({ path: 'to', message: 'not a date-time' });
  const limit = limitText === null ? 100 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > SLOT_PAGE_MAX)
    issues.push({ path: 'limit', message: 'out of range' });
  if (cursor !== null) issues.push({ path: 'cursor', message: 'the twin reads first pages only' });
  if (issues.length) return invalid(issues);
  const doctorRow = sql.userById.get(doctorId);
  const doctor = doctorRow ? JSON.parse(doctorRow.doc) : null;
  if (doctor?.role !== 'doctor' || doctor.doctor?.approvalStatus !== 'approved')
    return [404, envelope('DOCTOR_NOT_FOUND', 'No such doctor')];
  const nowMs = Date.now();
  const from = fromText === null ? nowMs : Date.parse(fromText);
  const to = toText === null ? from + 30 * DAY_MS : Date.parse(toText);
  if (
    Number.isNaN(from) ||
    Number.isNaN(to) ||
    to <= from ||
    to - from > (config.SLOT_HORIZON_DAYS + 1) * DAY_MS
  )
    return [
      422,
      envelope('VALIDATION_FAILED', 'The time range is invalid', {
        issues: [{ path: 'to', message: 'invalid range' }],
      }),
    ];
  const now = new Date(nowMs).toISOString();
  const rows = pageQuery(limit).all(
    doctorId,
    new Date(from).toISOString(),
    now,
    new Date(to).toISOString(),
    'open',
    'held',
    now,
  );
  const count = Math.min(rows.length, limit);
  const items = new Array(count);
  for (let i = 0; i < count; i++) {
    const row = rows[i]!;
    const slot = JSON.parse(row.doc);
    items[i] = { id: row.id, doctorId: slot.doctorId, startsAt: slot.startsAt, endsAt: slot.endsAt };
  }
  const last = items[count - 1];
  const nextCursor =
    rows.length > limit
      ? Buffer.from(json({ s: 'startsAt:1,_id:1', v: [{ $date: last.startsAt }, last.id] })).toString(
          'base64url',
        )
      : null;
  return [200, json({ items, nextCursor })];
}

const payments = paymentRoutes({
  db,
  config,
  logLevel,
  authenticate,
  webhookSecret: devSecret(config.DATA_DIR, devPaymentSecretFile(config.DATA_DIR)),
});
const APPOINTMENTS = '/api/v1/appointments';
const DOCTORS = '/api/v1/doctors/';

Bun.serve({
  hostname: config.HOST,
  port: config.PORT,
  async fetch(request) {
    const exchange = begin(request);
    const { path } = exchange;
    let route: string;
    let answer: Answer;
    if (path === '/ready') {
      sql.userById.get('ready');
      route = '/ready';
      answer = [200, json({ status: 'ready' })];
    } else if (request.method === 'POST' && path === APPOINTMENTS) {
      route = APPOINTMENTS;
      answer = await hold(exchange);
    } else if (request.method === 'POST' && path === '/api/v1/payments/checkout') {
      route = path;
      answer = await payments.checkout(exchange);
    } else if (request.method === 'POST' && path === '/api/v1/payments/razorpay/webhook') {
      route = path;
      answer = await payments.webhook(exchange);
    } else if (request.method === 'GET' && path.startsWith(`${APPOINTMENTS}/`)) {
      route = `${APPOINTMENTS}/:id`;
      answer = await readAppointment(exchange, path.slice(APPOINTMENTS.length + 1));
    } else if (request.method === 'GET' && path.startsWith(DOCTORS) && path.endsWith('/slots')) {
      route = `${DOCTORS}:id/slots`;
      answer = listSlots(exchange, path.slice(DOCTORS.length, -'/slots'.length));
    } else {
      route = path;
      answer = [404, envelope('NOT_FOUND', 'No such route')];
    }
    return finish(exchange, route, answer[0], answer[1], logLevel, answer[2]);
  },
});

process.on('SIGTERM', () => {
  db.close();
  process.exit(0);
});
