import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Server, ServerWebSocket } from 'bun';
import type { Clock } from '../../shared/clock.ts';
import type { Logger } from '../../shared/logger.ts';
import type { SessionEnded } from '../auth/tokens.service.ts';
import { type CallRole, otherRole } from './consultations.model.ts';
import type { TicketClaims } from './consultations.service.ts';
import type { Signal, SignalBus } from './signal-bus.ts';

/** WebSocket close codes of the signaling protocol. */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  policy: 1008,
  tooBig: 1009,
  replaced: 4000,
} as const;

/** The largest frame a client may send; Bun closes the socket with 1009 beyond it. */
export const MAX_FRAME_BYTES = 64 * 1024;

/** The frames a client sends; `appointmentId`, when given, must be the socket's own room. */
const Room = { appointmentId: Type.Optional(Type.String()) };
const ClientMessage = TypeCompiler.Compile(
  Type.Union([
    Type.Object({ type: Type.Literal('offer'), sdp: Type.String(), ...Room }),
    Type.Object({ type: Type.Literal('answer'), sdp: Type.String(), ...Room }),
    Type.Object({
      type: Type.Literal('ice'),
      // An RTCIceCandidateInit (what `event.candidate.toJSON()` gives), or null for the end of candidates.
      candidate: Type.Union([
        Type.Object({ candidate: Type.String({ maxLength: 4096 }) }, { additionalProperties: true }),
        Type.Null(),
      ]),
      ...Room,
    }),
    Type.Object({ type: Type.Literal('leave'), ...Room }),
    Type.Object({ type: Type.Literal('ping'), ...Room }),
  ]),
);
const KNOWN_TYPES = new Set(['offer', 'answer', 'ice', 'leave', 'ping']);

/** What a signaling socket carries: who it is, its liveness and rate count, and the handlers Elysia calls. */
export interface SocketData {
  claims: TicketClaims;
  alive: boolean;
  rateSecond: number;
  rateCount: number;
  /** Closed by the hub (replaced, signed out, shut down): its leave is told differently or not at all. */
  closedBy?: 'replaced' | 'hub';
  open(ws: Socket): void;
  message(ws: Socket, message: string | Buffer): void;
  close(ws: Socket, code: number, reason: string): void;
  pong(ws: Socket): void;
}
type Socket = ServerWebSocket<SocketData>;

/** What the hub records of presence; the consultations service writes it to the store. */
export interface PresenceRecorder {
  recordJoin(appointmentId: string, role: CallRole): Promise<void>;
  recordLeave(appointmentId: string, role: CallRole): Promise<void>;
  markActive(appointmentId: string): Promise<void>;
  markEnded(appointmentId: string): Promise<void>;
}

export interface HubSettings {
  maxMessagesPerSecond: number;
  heartbeatSeconds: number;
}

/** The topic only the socket of `role` in the room subscribes to. */
const topicOf = (appointmentId: string, role: CallRole): string => `${appointmentId}:${role}`;

const frame = (message: Record<string, unknown>): string => JSON.stringify(message);
const errorFrame = (code: string, message: string): string => frame({ type: 'error', code, message });

/**
 * The client's own text with `from` added, when it holds exactly `type` and `field` (the usual frame): a
 * relay then costs no second serialisation. Anything else (a `from` of its own, extra fields) is rebuilt.
 */
function stamped(text: string, parsed: object, field: string, role: CallRole): string | null {
  const keys = Object.keys(parsed);
  if (keys.length !== 2 || !(field in parsed)) return null;
  const end = text.lastIndexOf('}');
  return `${text.slice(0, end)},"from":"${role}"}`;
}

/**
 * The rooms of this instance, in memory: one per appointment, at most one socket per role. Frames go to
 * the other peer through the SignalBus, in the order they came; `from` is the sender's role, from its
 * ticket. A heartbeat pings every socket and drops one that sent nothing (not even a pong) since the last.
 */
export class SignalingHub {
  private readonly rooms = new Map<string, Partial<Record<CallRole, Socket>>>();
  private readonly writes = new Map<string, Promise<void>>();
  private readonly unsubscribe: () => void;
  private timer: Timer | undefined;
  private closing = false;
  /** The server that upgraded the sockets: relayed frames are published through it (Bun's own pub/sub). */
  private server: Pick<Server<SocketData>, 'publish'> | undefined;

  constructor(
    private readonly presence: PresenceRecorder,
    private readonly bus: SignalBus,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly settings: HubSettings,
  ) {
    this.unsubscribe = this.bus.subscribe((signal) => this.deliver(signal));
  }

  /** Starts the heartbeat. */
  open(): this {
    this.timer = setInterval(() => this.heartbeat(), this.settings.heartbeatSeconds * 1000);
    this.timer.unref();
    return this;
  }

  /** Closes every socket with 1001 and waits for their presence to be written. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.timer);
    for (const socket of this.sockets()) {
      socket.data.closedBy = 'hub';
      socket.close(CLOSE.goingAway, 'server shutting down');
    }
    // Bun runs each close handler as its socket closes; the leaves they record are awaited here.
    await new Promise((resolve) => setImmediate(resolve));
    await this.settled();
    this.unsubscribe();
  }

  /** The data of a socket about to be upgraded by `server` with these claims. */
  socketData(claims: TicketClaims, server: Pick<Server<SocketData>, 'publish'>): SocketData {
    this.server = server;
    return {
      claims,
      alive: true,
      rateSecond: 0,
      rateCount: 0,
      open: (ws) => this.onOpen(ws),
      message: (ws, message) => this.onMessage(ws, message),
      close: (ws, code) => this.onClose(ws, code),
      pong: (ws) => {
        ws.data.alive = true;
      },
    };
  }

  /** Closes (1008) every socket of a session or user that signed out, on every instance. */
  endSessions(ended: SessionEnded): void {
    this.bus.publish({ kind: 'session-ended', ended });
  }

  /** One heartbeat: drops the sockets that sent nothing since the last one, pings the others. */
  heartbeat(): void {
    for (const socket of this.sockets()) {
      if (!socket.data.alive) {
        this.logger.info('signaling peer dropped: no heartbeat', {
          appointmentId: socket.data.claims.appointmentId,
          role: socket.data.claims.role,
        });
        socket.terminate();
        continue;
      }
      socket.data.alive = false;
      socket.ping();
    }
  }

  /** Resolves when every presence write begun so far is done. */
  async settled(): Promise<void> {
    await Promise.all(this.writes.values());
  }

  /** How many sockets this instance holds. */
  get size(): number {
    return this.sockets().length;
  }

  /** A snapshot: closing a socket changes the rooms. */
  private sockets(): Socket[] {
    const sockets: Socket[] = [];
    for (const room of this.rooms.values()) {
      if (room.patient) sockets.push(room.patient);
      if (room.doctor) sockets.push(room.doctor);
    }
    return sockets;
  }

  private onOpen(ws: Socket): void {
    const { appointmentId, role } = ws.data.claims;
    if (this.closing) {
      ws.close(CLOSE.goingAway, 'server shutting down');
      return;
    }
    const room = this.rooms.get(appointmentId) ?? {};
    this.rooms.set(appointmentId, room);
    const previous = room[role];
    // The room is the new socket's before the old one closes (Bun may run its close handler at once).
    room[role] = ws;
    ws.subscribe(topicOf(appointmentId, role));
    if (previous) {
      previous.unsubscribe(topicOf(appointmentId, role));
      previous.data.closedBy = 'replaced';
      previous.close(CLOSE.replaced, 'replaced by a newer connection');
    }
    const other = room[otherRole(role)];
    ws.send(frame({ type: 'joined', role, peers: other ? [otherRole(role)] : [] }));
    other?.send(frame({ type: 'peer-joined', role }));
    this.record(appointmentId, async () => {
      if (previous) await this.presence.recordLeave(appointmentId, role);
      await this.presence.recordJoin(appointmentId, role);
      if (other) await this.presence.markActive(appointmentId);
    });
  }

  private onMessage(ws: Socket, message: string | Buffer): void {
    const data = ws.data;
    data.alive = true;
    const second = Math.floor(this.clock.now().getTime() / 1000);
    if (second !== data.rateSecond) {
      data.rateSecond = second;
      data.rateCount = 0;
    }
    if (++data.rateCount > this.settings.maxMessagesPerSecond) {
      ws.close(CLOSE.policy, 'too many messages');
      return;
    }
    const text = typeof message === 'string' ? message : message.toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      ws.send(errorFrame('MALFORMED_MESSAGE', 'A frame must be a JSON object { type, ... }'));
      return;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      ws.send(errorFrame('MALFORMED_MESSAGE', 'A frame must be a JSON object { type, ... }'));
      return;
    }
    if (!ClientMessage.Check(parsed)) {
      const type = (parsed as { type?: unknown }).type;
      ws.send(
        typeof type === 'string' && KNOWN_TYPES.has(type)
          ? errorFrame('MALFORMED_MESSAGE', `A ${type} frame is missing a field or has a wrong one`)
          : errorFrame('UNKNOWN_TYPE', 'type must be one of offer, answer, ice, leave, ping'),
      );
      return;
    }
    const { appointmentId, role } = data.claims;
    if (parsed.appointmentId !== undefined && parsed.appointmentId !== appointmentId) {
      ws.close(CLOSE.policy, 'not your room');
      return;
    }
    switch (parsed.type) {
      case 'ping':
        ws.send(frame({ type: 'pong' }));
        return;
      case 'leave':
        ws.close(CLOSE.normal, 'left');
        return;
      case 'offer':
      case 'answer':
        this.relay(
          ws,
          stamped(text, parsed, 'sdp', role) ?? frame({ type: parsed.type, sdp: parsed.sdp, from: role }),
        );
        return;
      case 'ice':
        this.relay(
          ws,
          stamped(text, parsed, 'candidate', role) ??
            frame({ type: 'ice', candidate: parsed.candidate, from: role }),
        );
        return;
    }
  }

  private relay(ws: Socket, relayed: string): void {
    const { appointmentId, role } = ws.data.claims;
    if (!this.rooms.get(appointmentId)?.[otherRole(role)]) {
      ws.send(errorFrame('PEER_ABSENT', 'The other person is not in the room yet; wait for peer-joined'));
      return;
    }
    this.bus.publish({ kind: 'relay', appointmentId, to: otherRole(role), frame: relayed });
  }

  private deliver(signal: Signal): void {
    if (signal.kind === 'relay') {
      // Published in Bun's native code: a send from JavaScript costs the relay half again as much CPU.
      if (this.rooms.get(signal.appointmentId)?.[signal.to]) {
        this.server?.publish(topicOf(signal.appointmentId, signal.to), signal.frame);
      }
      return;
    }
    const { ended } = signal;
    for (const socket of this.sockets()) {
      const { sessionId, userId } = socket.data.claims;
      if ('sessionId' in ended ? ended.sessionId === sessionId : ended.userId === userId) {
        socket.close(CLOSE.policy, 'signed out');
      }
    }
  }

  private onClose(ws: Socket, _code: number): void {
    const { appointmentId, role } = ws.data.claims;
    const room = this.rooms.get(appointmentId);
    // A replaced socket is no longer the room's: its successor already took its place.
    if (!room || room[role] !== ws) return;
    delete room[role];
    const other = room[otherRole(role)];
    if (!other) this.rooms.delete(appointmentId);
    if (ws.data.closedBy !== 'hub') other?.send(frame({ type: 'peer-left', role }));
    this.record(appointmentId, async () => {
      await this.presence.recordLeave(appointmentId, role);
      if (!other && ws.data.closedBy !== 'hub') await this.presence.markEnded(appointmentId);
    });
  }

  /** Presence writes of a room run one after another, in the order things happened. */
  private record(appointmentId: string, write: () => Promise<void>): void {
    const previous = this.writes.get(appointmentId) ?? Promise.resolve();
    const next = previous.then(write).catch((error: unknown) => {
      this.logger.error('consultation presence write failed', {
        appointmentId,
        error: error instanceof Error ? error.message : String(error),
      });
    });
    this.writes.set(appointmentId, next);
    void next.then(() => {
      if (this.writes.get(appointmentId) === next) this.writes.delete(appointmentId);
    });
  }
}
