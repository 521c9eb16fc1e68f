import { DuplicateKeyError } from '../../db/errors.ts';
import type { Store } from '../../db/index.ts';
import { type CallRole, type ConsultationDoc, Consultations } from './consultations.model.ts';

/** Consultation records: presence is appended; each status change is a conditional write on the status. */
export class ConsultationsRepository {
  constructor(private readonly store: Store) {}

  private get consultations() {
    return this.store.collection(Consultations);
  }

  find(appointmentId: string): Promise<ConsultationDoc | null> {
    return this.consultations.findById(appointmentId);
  }

  /** Records a join; the first one opens the record as `waiting`. */
  async recordJoin(appointmentId: string, role: CallRole, at: Date): Promise<void> {
    const event = { role, event: 'join' as const, at };
    if (
      await this.consultations.updateOne(
        { _id: appointmentId },
        { $push: { presence: event }, $set: { updatedAt: at } },
      )
    )
      return;
    try {
      await this.consultations.insertOne({
        _id: appointmentId,
        status: 'waiting',
        presence: [event],
        createdAt: at,
        updatedAt: at,
      });
    } catch (error) {
      if (!(error instanceof DuplicateKeyError)) throw error;
      // The other person's first join won the insert just now.
      await this.consultations.updateOne(
        { _id: appointmentId },
        { $push: { presence: event }, $set: { updatedAt: at } },
      );
    }
  }

  recordLeave(appointmentId: string, role: CallRole, at: Date): Promise<boolean> {
    return this.consultations.updateOne(
      { _id: appointmentId },
      { $push: { presence: { role, event: 'leave', at } }, $set: { updatedAt: at } },
    );
  }

  /** waiting -> active, once both are in the room. */
  markActive(appointmentId: string, at: Date): Promise<boolean> {
    return this.consultations.updateOne(
      { _id: appointmentId, status: 'waiting' },
      { $set: { status: 'active', startedAt: at, updatedAt: at } },
    );
  }

  /** active -> ended when both have left; any open state -> ended when the window closed. */
  markEnded(appointmentId: string, from: 'active' | 'open', at: Date): Promise<boolean> {
    return this.consultations.updateOne(
      { _id: appointmentId, status: from === 'active' ? 'active' : { $in: ['waiting', 'active'] } },
      { $set: { status: 'ended', endedAt: at, updatedAt: at } },
    );
  }
}
