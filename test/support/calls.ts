import type { ManualClock } from '../../src/shared/clock.ts';
import type { TestApp } from './app.ts';
import { approvedDoctor, hold, hourFromNow, MINUTE, publishSlots } from './booking.ts';
import { type CreatedUser, createUser, login } from './factories.ts';

/** Access tokens that outlive the clock moves of call tests (a day to the appointment, hours around it). */
export const CALL_TEST_ENV = { ACCESS_TOKEN_TTL_SECONDS: String(7 * 86_400) };

export interface ConfirmedCall {
  patient: CreatedUser;
  doctor: CreatedUser;
  appointmentId: string;
  startsAt: Date;
  endsAt: Date;
}

/**
 * A confirmed appointment of a new patient and doctor, through the real hold and the repository's
 * pending_payment -> confirmed write (what a captured payment does); the clock is moved to 5 minutes
 * before its start (a day ahead unless `startsAt` is given), inside the call window, and both sign in
 * again then.
 */
export async function confirmedCall(t: TestApp, startsAt = hourFromNow(t)): Promise<ConfirmedCall> {
  const doctor = await approvedDoctor(t);
  const patient = await createUser(t, { role: 'patient' });
  const [slotId] = await publishSlots(t, doctor, startsAt, 1);
  const held = await hold(t, patient, slotId!);
  if (held.status !== 201) throw new Error(`hold: ${held.status} ${JSON.stringify(held.body)}`);
  const appointmentId: string = held.body.appointment.id;
  const confirmed = await t.container.appointmentsRepo.confirm(appointmentId, t.clock.now());
  if (confirmed?.status !== 'confirmed') throw new Error('the hold was not confirmed');
  (t.clock as ManualClock).set(new Date(startsAt.getTime() - 5 * MINUTE));
  // Signed in again at the new time: the first access tokens have expired by then.
  const [patientNow, doctorNow] = await Promise.all([
    login(t, patient.email, patient.password),
    login(t, doctor.email, doctor.password),
  ]);
  return {
    patient: { ...patient, ...patientNow },
    doctor: { ...doctor, ...doctorNow },
    appointmentId,
    startsAt,
    endsAt: confirmed.endsAt,
  };
}

/** The app listening on a free loopback port (close with `t.app.stop(true)`). */
export function listen(t: TestApp): { base: string; port: number } {
  t.app.listen({ port: 0, hostname: '127.0.0.1' });
  const port = t.app.server?.port;
  if (!port) throw new Error('the app did not listen');
  return { base: `http://127.0.0.1:${port}`, port };
}

export const ticketFor = (t: TestApp, user: CreatedUser, appointmentId: string) =>
  t.call('POST', `/api/v1/consultations/${appointmentId}/ticket`, { token: user.accessToken });

export async function newTicket(t: TestApp, user: CreatedUser, appointmentId: string): Promise<string> {
  const res = await ticketFor(t, user, appointmentId);
  if (res.status !== 201) throw new Error(`ticket: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.ticket;
}

// biome-ignore lint/suspicious/noExplicitAny: frames are read as the protocol says, not as typed
export type Frame = Record<string, any>;

/** A real WebSocket client (Bun's global WebSocket) that keeps every frame and its close in order. */
export class SignalClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: (() => void)[] = [];
  private read = 0;

  constructor(readonly socket: WebSocket) {
    socket.addEventListener('message', (event) => {
      this.frames.push(JSON.parse(String(event.data)));
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => {
      socket.addEventListener('close', (event) => {
        resolve({ code: event.code, reason: event.reason });
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<SignalClient> {
    const socket = new WebSocket(url, { headers } as unknown as string[]);
    const client = new SignalClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener('open', () => resolve());
      socket.addEventListener('error', () => reject(new Error(`could not open ${url}`)));
    });
    return client;
  }

  send(frame: Frame | string): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next frame not read yet; waits for it (the test's own timeout bounds the wait). */
  async next(): Promise<Frame> {
    while (this.read >= this.frames.length) {
      if (this.socket.readyState === WebSocket.CLOSED) throw new Error('closed before the next frame');
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.frames[this.read++]!;
  }

  /** The next frame of this type, skipping none: it must be the next one. */
  async expectNext(type: string): Promise<Frame> {
    const frame = await this.next();
    if (frame.type !== type) throw new Error(`expected a ${type} frame, got ${JSON.stringify(frame)}`);
    return frame;
  }
}

/** Joins a room: a ticket, the socket, and its `joined` frame. */
export async function join(
  t: TestApp,
  base: string,
  user: CreatedUser,
  appointmentId: string,
): Promise<{ client: SignalClient; joined: Frame }> {
  const ticket = await newTicket(t, user, appointmentId);
  const client = await SignalClient.open(`${base.replace('http', 'ws')}/ws/signaling?ticket=${ticket}`);
  return { client, joined: await client.expectNext('joined') };
}

/**
 * A raw upgrade request over TCP: the status line and body the server answered, and the socket, left
 * open and silent (it never answers a ping: a dead peer).
 */
export async function rawUpgrade(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; head: string; body: string; socket: Bun.Socket<undefined> }> {
  let received = '';
  let wake: () => void = () => {};
  const socket = await Bun.connect({
    hostname: '127.0.0.1',
    port,
    socket: {
      data(_socket, chunk) {
        received += chunk.toString('latin1');
        wake();
      },
      close() {
        wake();
      },
    },
  });
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64')}`,
    'Sec-WebSocket-Version: 13',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  // Until the head is in, and for an answer with a body, until all of it is.
  for (;;) {
    const end = received.indexOf('\r\n\r\n');
    if (end >= 0) {
      const head = received.slice(0, end);
      const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      const status = Number(head.split(' ')[1]);
      if (status === 101 || received.length >= end + 4 + length) {
        return { status, head, body: received.slice(end + 4, end + 4 + length), socket };
      }
    }
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
  }
}
