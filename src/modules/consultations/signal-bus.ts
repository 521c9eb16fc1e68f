import type { SessionEnded } from '../auth/tokens.service.ts';
import type { CallRole } from './consultations.model.ts';

/**
 * What one instance tells every instance (itself included): a frame for the socket of `to` in a room, or
 * a sign-out whose sockets must close. One instance: the in-process adapter. Several (MongoDB): one change
 * stream per instance on a small `signals` collection with a TTL index, rooms filtered locally (see
 * docs/video-calls.md).
 */
export type Signal =
  | { kind: 'relay'; appointmentId: string; to: CallRole; frame: string }
  | { kind: 'session-ended'; ended: SessionEnded };

export interface SignalBus {
  publish(signal: Signal): void;
  /** Returns the unsubscribe. */
  subscribe(handler: (signal: Signal) => void): () => void;
}

/** Every signal to this process's subscribers, synchronously, in publish order. */
export class InProcessSignalBus implements SignalBus {
  private readonly handlers = new Set<(signal: Signal) => void>();

  publish(signal: Signal): void {
    for (const handler of this.handlers) handler(signal);
  }

  subscribe(handler: (signal: Signal) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
}
