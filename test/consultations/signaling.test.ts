/**
 * The signaling socket on a real listening server with real clients (Bun's global WebSocket, and raw TCP
 * where a client must misbehave below the WebSocket API).
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import type { ManualClock } from '../../src/shared/clock.ts';
import { buildTestApp, type TestApp } from '../support/app.ts';
import {
  CALL_TEST_ENV,
  type ConfirmedCall,
  confirmedCall,
  join,
  listen,
  newTicket,
  rawUpgrade,
  type SignalClient,
} from '../support/calls.ts';
import { createUser } from '../support/factories.ts';

let t: TestApp;
let base: string;
let port: number;
let call: ConfirmedCall;
const opened: SignalClient[] = [];
beforeEach(async () => {
  t = await buildTestApp({ ...CALL_TEST_ENV, CORS_ORIGINS: 'https://app.example.org' });
  ({ base, port } = listen(t));
  call = await confirmedCall(t);
});
afterEach(async () => {
  for (const client of opened.splice(0)) client.socket.close();
  await t.app.stop(true);
  await t.close();
});

const track = <C extends { client: SignalClient }>(joined: C): C => {
  opened.push(joined.client);
  return joined;
};
const joinAs = async (who: 'patient' | 'doctor', c: ConfirmedCall = call) =>
  track(await join(t, base, c[who], c.appointmentId));
const errorOf = (body: string) => JSON.parse(body).error;

describe('GET /ws/signaling refuses before any upgrade', () => {
  test('no ticket, a forged one, a used one, an expired one: 401 INVALID_TICKET and no upgrade', async () => {
    const missing = await rawUpgrade(port, '/ws/signaling');
    expect([missing.status, errorOf(missing.body).code]).toEqual([401, 'INVALID_TICKET']);
    const forged = await rawUpgrade(port, `/ws/signaling?ticket=hvct_${'A'.repeat(43)}`);
    expect([forged.status, errorOf(forged.body).code]).toEqual([401, 'INVALID_TICKET']);

    const ticket = await newTicket(t, call.patient, call.appointmentId);
    const first = await rawUpgrade(port, `/ws/signaling?ticket=${ticket}`, { 'x-request-id': 'upgrade-1' });
    expect(first.status).toBe(101);
    // The 101 carries the request id like every other answer.
    expect(first.head.toLowerCase()).toContain('x-request-id: upgrade-1');
    const reused = await rawUpgrade(port, `/ws/signaling?ticket=${ticket}`);
    expect([reused.status, errorOf(reused.body).code]).toEqual([401, 'INVALID_TICKET']);
    expect(t.container.signalingHub.size).toBe(1);
    for (const raw of [missing, forged, first, reused]) raw.socket.end();

    const late = await newTicket(t, call.doctor, call.appointmentId);
    (t.clock as ManualClock).advance(60_000);
    const expired = await rawUpgrade(port, `/ws/signaling?ticket=${late}`);
    expect([expired.status, errorOf(expired.body).code]).toEqual([401, 'INVALID_TICKET']);
    expired.socket.end();
  });

  test('a ticket for another appointment than the one named: 401', async () => {
    const other = await confirmedCall(t, call.startsAt);
    const ticket = await newTicket(t, call.patient, call.appointmentId);
    const res = await rawUpgrade(port, `/ws/signaling?ticket=${ticket}&appointmentId=${other.appointmentId}`);
    expect([res.status, errorOf(res.body).code]).toEqual([401, 'INVALID_TICKET']);
    res.socket.end();
  });

  test('a browser Origin not in CORS_ORIGINS: 403, and the ticket is not spent; an allowed one upgrades', async () => {
    const ticket = await newTicket(t, call.patient, call.appointmentId);
    const foreign = await rawUpgrade(port, `/ws/signaling?ticket=${ticket}`, {
      Origin: 'https://evil.example',
    });
    expect([foreign.status, errorOf(foreign.body).code]).toEqual([403, 'ORIGIN_NOT_ALLOWED']);
    const allowed = await rawUpgrade(port, `/ws/signaling?ticket=${ticket}`, {
      Origin: 'https://app.example.org',
    });
    expect(allowed.status).toBe(101);
    for (const raw of [foreign, allowed]) raw.socket.end();
  });

  test('a plain GET (no upgrade) is 400 WEBSOCKET_EXPECTED', async () => {
    const res = await fetch(`${base}/ws/signaling?ticket=x`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('WEBSOCKET_EXPECTED');
  });

  test('a signed-out session: its unused ticket no longer opens', async () => {
    const ticket = await newTicket(t, call.patient, call.appointmentId);
    await t.call('POST', '/api/v1/auth/logout', {
      token: call.patient.accessToken,
      body: { refreshToken: call.patient.refreshToken },
    });
    const res = await rawUpgrade(port, `/ws/signaling?ticket=${ticket}`);
    expect(res.status).toBe(401);
    res.socket.end();
  });
});

describe('rooms', () => {
  test('joined and peer-joined; the consultation goes waiting -> active -> ended with each presence', async () => {
    const patient = await joinAs('patient');
    expect(patient.joined).toEqual({ type: 'joined', role: 'patient', peers: [] });
    await t.container.signalingHub.settled();
    const path = `/api/v1/consultations/${call.appointmentId}`;
    expect((await t.call('GET', path, { token: call.doctor.accessToken })).body.consultation).toMatchObject({
      status: 'waiting',
      participants: [{ role: 'patient', leftAt: null }],
      startedAt: null,
    });

    const doctor = await joinAs('doctor');
    expect(doctor.joined).toEqual({ type: 'joined', role: 'doctor', peers: ['patient'] });
    expect(await patient.client.next()).toEqual({ type: 'peer-joined', role: 'doctor' });
    await t.container.signalingHub.settled();
    const now = t.clock.now().toISOString();
    expect((await t.call('GET', path, { token: call.patient.accessToken })).body.consultation).toEqual({
      appointmentId: call.appointmentId,
      status: 'active',
      participants: [
        { role: 'patient', joinedAt: now, leftAt: null },
        { role: 'doctor', joinedAt: now, leftAt: null },
      ],
      startedAt: now,
      endedAt: null,
    });

    (t.clock as ManualClock).advance(60_000);
    patient.client.send({ type: 'leave' });
    expect(await patient.client.closed).toMatchObject({ code: 1000 });
    expect(await doctor.client.next()).toEqual({ type: 'peer-left', role: 'patient' });
    doctor.client.socket.close();
    await doctor.client.closed;
    await t.container.signalingHub.settled();
    const later = t.clock.now().toISOString();
    expect((await t.call('GET', path, { token: call.doctor.accessToken })).body.consultation).toEqual({
      appointmentId: call.appointmentId,
      status: 'ended',
      participants: [
        { role: 'patient', joinedAt: now, leftAt: later },
        { role: 'doctor', joinedAt: now, leftAt: later },
      ],
      startedAt: now,
      endedAt: later,
    });
  });

  test('relayed in order to the other peer only, stamped with the sender role it cannot forge', async () => {
    const other = await confirmedCall(t, call.startsAt);
    const patient = await joinAs('patient');
    const doctor = await joinAs('doctor');
    await patient.client.expectNext('peer-joined');
    const bystander = await joinAs('patient', other);

    patient.client.send({ type: 'offer', sdp: 'v=0 offer', from: 'doctor' });
    for (let i = 0; i < 20; i++)
      patient.client.send({ type: 'ice', candidate: { candidate: `c${i}`, from: 'x' } });
    doctor.client.send({ type: 'answer', sdp: 'v=0 answer', from: 'patient' });

    expect(await doctor.client.next()).toEqual({ type: 'offer', sdp: 'v=0 offer', from: 'patient' });
    for (let i = 0; i < 20; i++) {
      expect(await doctor.client.next()).toEqual({
        type: 'ice',
        candidate: { candidate: `c${i}`, from: 'x' },
        from: 'patient',
      });
    }
    expect(await patient.client.next()).toEqual({ type: 'answer', sdp: 'v=0 answer', from: 'doctor' });
    // Nothing crossed into the other room, and nothing echoed back to the senders.
    bystander.client.send({ type: 'ping' });
    expect(await bystander.client.next()).toEqual({ type: 'pong' });
    doctor.client.send({ type: 'ping' });
    expect(await doctor.client.next()).toEqual({ type: 'pong' });
    expect(bystander.client.frames).toEqual([
      { type: 'joined', role: 'patient', peers: [] },
      { type: 'pong' },
    ]);
  });

  test('a frame naming another room closes with 1008', async () => {
    const other = await confirmedCall(t, call.startsAt);
    const patient = await joinAs('patient');
    patient.client.send({ type: 'offer', sdp: 'x', appointmentId: other.appointmentId });
    expect(await patient.client.closed).toMatchObject({ code: 1008 });
  });

  test('malformed JSON, an unknown type or a missing field: an error frame, and the connection survives', async () => {
    const patient = await joinAs('patient');
    const doctor = await joinAs('doctor');
    await patient.client.expectNext('peer-joined');
    patient.client.send('{not json');
    expect(await patient.client.next()).toMatchObject({ type: 'error', code: 'MALFORMED_MESSAGE' });
    patient.client.send({ type: 'dance' });
    expect(await patient.client.next()).toMatchObject({ type: 'error', code: 'UNKNOWN_TYPE' });
    patient.client.send({ type: 'offer' });
    expect(await patient.client.next()).toMatchObject({ type: 'error', code: 'MALFORMED_MESSAGE' });
    // JSON that is not an object, and an ICE candidate that is not an RTCIceCandidateInit, are malformed too.
    for (const frame of ['null', '[1,2]', '"str"', '{"type":"ice","candidate":"x"}']) {
      patient.client.send(frame);
      expect(await patient.client.next()).toMatchObject({ type: 'error', code: 'MALFORMED_MESSAGE' });
    }
    patient.client.send({ type: 'offer', sdp: 'still here' });
    expect(await doctor.client.next()).toEqual({ type: 'offer', sdp: 'still here', from: 'patient' });
  });

  test('a frame over 64 KB closes with 1009; 64 KB exactly is relayed', async () => {
    const patient = await joinAs('patient');
    const doctor = await joinAs('doctor');
    await patient.client.expectNext('peer-joined');
    const envelope = JSON.stringify({ type: 'offer', sdp: '' });
    const fits = JSON.stringify({ type: 'offer', sdp: 'x'.repeat(64 * 1024 - envelope.length) });
    expect(fits.length).toBe(64 * 1024);
    patient.client.send(fits);
    expect((await doctor.client.expectNext('offer')).sdp.length).toBe(64 * 1024 - envelope.length);
    patient.client.send(`${fits} `);
    expect(await patient.client.closed).toMatchObject({ code: 1009 });
    expect(await doctor.client.next()).toEqual({ type: 'peer-left', role: 'patient' });
  });

  test('more than WS_MAX_MESSAGES_PER_SECOND in one second closes with 1008; the count resets each second', async () => {
    const patient = await joinAs('patient');
    for (let i = 0; i < 50; i++) patient.client.send({ type: 'ping' });
    for (let i = 0; i < 50; i++) expect(await patient.client.next()).toEqual({ type: 'pong' });
    (t.clock as ManualClock).advance(1000);
    for (let i = 0; i < 51; i++) patient.client.send({ type: 'ping' });
    expect(await patient.client.closed).toMatchObject({ code: 1008 });
    expect(patient.client.frames.filter((frame) => frame.type === 'pong').length).toBe(100);
  });

  test('a second socket of the same person replaces the first (4000); the other peer is told and relays to it', async () => {
    const first = await joinAs('patient');
    const doctor = await joinAs('doctor');
    await first.client.expectNext('peer-joined');
    const second = await joinAs('patient');
    expect(second.joined).toEqual({ type: 'joined', role: 'patient', peers: ['doctor'] });
    expect(await first.client.closed).toMatchObject({ code: 4000 });
    expect(await doctor.client.next()).toEqual({ type: 'peer-joined', role: 'patient' });
    doctor.client.send({ type: 'offer', sdp: 'to the new one' });
    expect(await second.client.next()).toEqual({ type: 'offer', sdp: 'to the new one', from: 'doctor' });
    expect(first.client.frames.map((frame) => frame.type)).toEqual(['joined', 'peer-joined']);
  });

  test('the heartbeat drops a peer that answers no ping, and tells the other (peer-left)', async () => {
    const doctor = await joinAs('doctor');
    const ticket = await newTicket(t, call.patient, call.appointmentId);
    // A patient that upgrades, then goes silent: it never answers the server's pings.
    const dead = await rawUpgrade(port, `/ws/signaling?ticket=${ticket}`);
    expect(dead.status).toBe(101);
    expect(await doctor.client.next()).toEqual({ type: 'peer-joined', role: 'patient' });
    const hub = t.container.signalingHub;
    hub.heartbeat();
    // The doctor speaks between the beats (its client also answers pings by itself).
    doctor.client.send({ type: 'ping' });
    expect(await doctor.client.next()).toEqual({ type: 'pong' });
    hub.heartbeat();
    expect(await doctor.client.next()).toEqual({ type: 'peer-left', role: 'patient' });
    expect(hub.size).toBe(1);
    doctor.client.send({ type: 'ping' });
    expect(await doctor.client.next()).toEqual({ type: 'pong' });
    dead.socket.end();
  });

  test("signing out closes that user's sockets with 1008; the other peer is told", async () => {
    const patient = await joinAs('patient');
    const doctor = await joinAs('doctor');
    await patient.client.expectNext('peer-joined');
    const out = await t.call('POST', '/api/v1/auth/logout', {
      token: call.patient.accessToken,
      body: { refreshToken: call.patient.refreshToken },
    });
    expect(out.status).toBe(204);
    expect(await patient.client.closed).toMatchObject({ code: 1008 });
    expect(await doctor.client.next()).toEqual({ type: 'peer-left', role: 'patient' });
  });

  test('shutdown closes every socket with 1001 before the store closes', async () => {
    const patient = await joinAs('patient');
    const doctor = await joinAs('doctor');
    // As src/main.ts opens it: after the HTTP server, so it closes first.
    await t.container.resources.open(
      'websocket server',
      () => t.container.signalingHub.open(),
      (hub) => hub.close(),
    );
    const closing = t.container.close();
    expect(await patient.client.closed).toMatchObject({ code: 1001 });
    expect(await doctor.client.closed).toMatchObject({ code: 1001 });
    await closing;
    const closed = t.logger.lines.filter((line) => line.msg === 'closed').map((line) => line.resource);
    expect(closed.indexOf('websocket server')).toBeLessThan(closed.indexOf('store'));
    expect(closed[0]).toBe('websocket server');
    // Their leaves were written while the store was still open (a write after it closes logs an error).
    expect(t.logger.lines.filter((line) => line.level === 'error')).toEqual([]);
  });
});

describe('the consultation record', () => {
  test('a password reset (every session revoked) closes the sockets too', async () => {
    const patient = await joinAs('patient');
    await t.container.tokens.revokeAllSessions(call.patient.user.id, 'password_reset');
    expect(await patient.client.closed).toMatchObject({ code: 1008 });
  });

  test('once the window has closed, a call still waiting or active reads as ended at the close', async () => {
    await joinAs('patient');
    await t.container.signalingHub.settled();
    const closedAt = new Date(call.endsAt.getTime() + 30 * 60_000);
    (t.clock as ManualClock).set(closedAt);
    const res = await t.call('GET', `/api/v1/consultations/${call.appointmentId}`, {
      token: call.doctor.accessToken,
    });
    expect(res.body.consultation).toMatchObject({
      status: 'ended',
      startedAt: null,
      endedAt: closedAt.toISOString(),
    });
    const admin = await t.call('GET', `/api/v1/consultations/${call.appointmentId}`, {
      token: (await createUser(t, { role: 'admin' })).accessToken,
    });
    expect(admin.body.consultation.status).toBe('ended');
  });

  test("someone else's consultation is 404", async () => {
    const stranger = await createUser(t, { role: 'doctor' });
    const res = await t.call('GET', `/api/v1/consultations/${call.appointmentId}`, {
      token: stranger.accessToken,
    });
    expect([res.status, res.body.error.code]).toEqual([404, 'APPOINTMENT_NOT_FOUND']);
  });
});
