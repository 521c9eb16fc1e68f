import { isDuplicateOn } from '../../db/errors.ts';
import type { Store } from '../../db/index.ts';
import { type OtpDoc, type OtpPurpose, Otps } from './auth.model.ts';

export interface IssuedCode {
  codeHash: string;
  expiresAt: Date;
  sentAt: Date[];
  at: Date;
}

export class OtpsRepository {
  constructor(private readonly store: Store) {}

  /** This repository working through `tx`, the store of a running transaction. */
  within(tx: Store): this {
    return new (this.constructor as new (store: Store) => this)(tx);
  }

  private get otps() {
    return this.store.collection(Otps);
  }

  find(email: string, purpose: OtpPurpose): Promise<OtpDoc | null> {
    return this.otps.findOne({ email, purpose });
  }

  /** First code for this email and purpose; false when another request created it first. */
  async createFirst(email: string, purpose: OtpPurpose, code: IssuedCode): Promise<boolean> {
    try {
      await this.otps.insertOne({
        email,
        purpose,
        codeHash: code.codeHash,
        expiresAt: code.expiresAt,
        attempts: 0,
        sentAt: code.sentAt,
        version: 0,
        updatedAt: code.at,
      });
      return true;
    } catch (error) {
      if (isDuplicateOn(error, 'otps__email__purpose')) return false;
      throw error;
    }
  }

  /**
   * A record for an address no code was issued for, holding its first wrong guess; false when another
   * request created the address's record first.
   */
  async createWithWrongGuess(email: string, purpose: OtpPurpose, at: Date): Promise<boolean> {
    try {
      await this.otps.insertOne({ email, purpose, attempts: 1, sentAt: [], version: 0, updatedAt: at });
      return true;
    } catch (error) {
      if (isDuplicateOn(error, 'otps__email__purpose')) return false;
      throw error;
    }
  }

  /** Replaces the code if the document is still at `version` (no concurrent send); the old code dies. */
  replaceCode(doc: OtpDoc, code: IssuedCode): Promise<boolean> {
    const set = {
      codeHash: code.codeHash,
      expiresAt: code.expiresAt,
      attempts: 0,
      sentAt: code.sentAt,
      version: doc.version + 1,
      updatedAt: code.at,
    };
    return this.otps.updateOne(
      { _id: doc._id, version: doc.version },
      doc.consumedAt !== undefined ? { $set: set, $unset: { consumedAt: true } } : { $set: set },
    );
  }

  /**
   * Counts one wrong guess against the code of this version while tries remain; null when none remain
   * or a new code replaced it.
   */
  countWrongGuess(doc: OtpDoc, maxAttempts: number, at: Date): Promise<OtpDoc | null> {
    return this.otps.findOneAndUpdate(
      { _id: doc._id, version: doc.version, attempts: { $lt: maxAttempts } },
      { $inc: { attempts: 1 }, $set: { updatedAt: at } },
    );
  }

  /** Spends this exact code once, if it is unexpired and not locked by wrong guesses. */
  consume(doc: OtpDoc, maxAttempts: number, now: Date): Promise<boolean> {
    return this.otps.updateOne(
      {
        _id: doc._id,
        codeHash: doc.codeHash ?? '',
        consumedAt: { $exists: false },
        attempts: { $lt: maxAttempts },
        expiresAt: { $gt: now },
      },
      { $set: { consumedAt: now, updatedAt: now } },
    );
  }

  /** A code record untouched for `keepMs` holds neither a live code nor a send the hourly limit counts. */
  purgeStale(now: Date, keepMs: number): Promise<number> {
    return this.otps.deleteMany({ updatedAt: { $lt: new Date(now.getTime() - keepMs) } });
  }
}
