import type { Store } from '../../db/index.ts';
import { type CallTicketDoc, CallTickets } from './consultations.model.ts';

export class CallTicketsRepository {
  constructor(private readonly store: Store) {}

  private get tickets() {
    return this.store.collection(CallTickets);
  }

  record(ticket: CallTicketDoc): Promise<CallTicketDoc> {
    return this.tickets.insertOne(ticket);
  }

  /** Marks an unused, unexpired ticket used and returns it; of concurrent callers exactly one gets it. */
  redeemOnce(hash: string, now: Date): Promise<CallTicketDoc | null> {
    return this.tickets.findOneAndUpdate(
      { _id: hash, usedAt: { $exists: false }, expiresAt: { $gt: now } },
      { $set: { usedAt: now } },
    );
  }

  purgeExpired(now: Date): Promise<number> {
    return this.tickets.deleteMany({ expiresAt: { $lt: now } });
  }
}
