import { encodeCursor, normalizeSort } from '../../db/cursor.ts';
import { isDuplicateOn } from '../../db/errors.ts';
import type { Filter, Page, SortSpec, Store, Stored } from '../../db/index.ts';
import { normalizeEmail } from '../../shared/email-address.ts';
import { ConflictError } from '../../shared/errors.ts';
import {
  type ApprovalStatus,
  type DoctorProfile,
  specialtyKeyOf,
  type UserDoc,
  Users,
} from './users.model.ts';

export type NewUser = Omit<UserDoc, '_id'> & { _id?: string };

/** The fields a user may change about themselves (see PATCH /me). */
export interface ProfileChanges {
  name?: string;
  phone?: string;
  /** A patient's own zone (a doctor's lives in `doctor.timezone`). */
  timezone?: string;
  doctor?: Partial<
    Pick<DoctorProfile, 'specialty' | 'consultationFeePaise' | 'timezone' | 'bio' | 'languages'>
  >;
}

export { normalizeEmail } from '../../shared/email-address.ts';

/** The one place that reads and writes the `users` collection. */
export class UsersRepository {
  constructor(private readonly store: Store) {}

  /** This repository working through `tx`, the store of a running transaction. */
  within(tx: Store): this {
    return new (this.constructor as new (store: Store) => this)(tx);
  }

  private get users() {
    return this.store.collection(Users);
  }

  /** Inserts a new account; an email already taken is a 409 `EMAIL_TAKEN`. */
  async create(user: NewUser): Promise<UserDoc> {
    const doctor = user.doctor && { ...user.doctor, specialtyKey: specialtyKeyOf(user.doctor.specialty) };
    try {
      return await this.users.insertOne({
        ...user,
        email: normalizeEmail(user.email),
        ...(doctor ? { doctor } : {}),
      });
    } catch (error) {
      if (isDuplicateOn(error, 'users__email')) {
        throw new ConflictError('EMAIL_TAKEN', 'An account with this email already exists');
      }
      throw error;
    }
  }

  findById(id: string): Promise<UserDoc | null> {
    return this.users.findById(id);
  }

  /** In the stored form (instants as ISO strings), for a summary that goes out as JSON at once. */
  findByIdStored(id: string): Promise<Stored<UserDoc> | null> {
    return this.users.findById(id, { stored: true });
  }

  /** The users among `ids` that exist, in one query. */
  findByIds(ids: readonly string[]): Promise<UserDoc[]> {
    if (ids.length === 0) return Promise.resolve([]);
    // One appointment's party is one user: a read by primary key, not a query built for a set.
    if (ids.length === 1) return this.users.findById(ids[0]!).then((user) => (user ? [user] : []));
    return this.users.findAll({ _id: { $in: [...ids] } });
  }

  findByEmail(email: string): Promise<UserDoc | null> {
    return this.users.findOne({ email: normalizeEmail(email) });
  }

  /** Returns the user after the change, or null when there is no such user. */
  markEmailVerified(id: string, at: Date): Promise<UserDoc | null> {
    return this.users.findOneAndUpdate({ _id: id }, { $set: { emailVerified: true, updatedAt: at } });
  }

  async replacePasswordHash(id: string, passwordHash: string, at: Date): Promise<boolean> {
    return this.users.updateOne({ _id: id }, { $set: { passwordHash, updatedAt: at } });
  }

  /** Applies self-service profile changes; doctor fields only touch a doctor's document. */
  updateProfile(id: string, changes: ProfileChanges, at: Date): Promise<UserDoc | null> {
    const set: Record<string, unknown> = { updatedAt: at };
    if (changes.name !== undefined) set.name = changes.name;
    if (changes.phone !== undefined) set.phone = changes.phone;
    const filter: Filter = { _id: id };
    if (changes.timezone !== undefined) {
      set.timezone = changes.timezone;
      filter.role = { $ne: 'doctor' };
    }
    if (changes.doctor && Object.keys(changes.doctor).length > 0) {
      filter.role = 'doctor';
      for (const [key, value] of Object.entries(changes.doctor)) {
        if (value !== undefined) set[`doctor.${key}`] = value;
      }
      if (changes.doctor.specialty !== undefined)
        set['doctor.specialtyKey'] = specialtyKeyOf(changes.doctor.specialty);
    }
    return this.users.findOneAndUpdate(filter, { $set: set });
  }

  setAvatar(id: string, avatar: { url: string; fileId: string }, at: Date): Promise<UserDoc | null> {
    return this.users.findOneAndUpdate(
      { _id: id },
      { $set: { avatarUrl: avatar.url, avatarFileId: avatar.fileId, updatedAt: at } },
    );
  }

  listDoctorsByApproval(
    status: ApprovalStatus,
    page: { limit: number; cursor?: string | null },
  ): Promise<Page<UserDoc>> {
    return this.users.find(
      { role: 'doctor', 'doctor.approvalStatus': status },
      { sort: { createdAt: 1 }, limit: page.limit, cursor: page.cursor ?? null },
    );
  }

  /** A doctor patients may see and book: approved. Null for pending, rejected, non-doctors and unknown ids. */
  findApprovedDoctor(id: string): Promise<UserDoc | null> {
    return this.users.findOne({ _id: id, role: 'doctor', 'doctor.approvalStatus': 'approved' });
  }

  /**
   * Approved doctors by name, optionally of one specialty (exact) and with `q` in their name (any case).
   * The name match runs over the indexed listing in batches, so a rare `q` reads more documents.
   */
  async pageApprovedDoctors(query: {
    specialty?: string | undefined;
    q?: string | undefined;
    limit: number;
    cursor?: string | undefined;
  }): Promise<Page<UserDoc>> {
    const filter: Filter = { role: 'doctor', 'doctor.approvalStatus': 'approved' };
    if (query.specialty) filter['doctor.specialtyKey'] = specialtyKeyOf(query.specialty);
    const sort: SortSpec = { name: 1 };
    const needle = query.q?.trim().toLocaleLowerCase();
    if (!needle) return this.users.find(filter, { sort, limit: query.limit, cursor: query.cursor ?? null });

    const matches: UserDoc[] = [];
    let cursor: string | null = query.cursor ?? null;
    scan: do {
      const batch = await this.users.find(filter, { sort, limit: 200, cursor });
      for (const doc of batch.items) {
        if (!doc.name.toLocaleLowerCase().includes(needle)) continue;
        matches.push(doc);
        if (matches.length > query.limit) break scan;
      }
      cursor = batch.nextCursor;
    } while (cursor);
    const items = matches.slice(0, query.limit);
    const last = items.at(-1);
    return {
      items,
      nextCursor: matches.length > query.limit && last ? encodeCursor(normalizeSort(sort), last) : null,
    };
  }

  /**
   * The specialties of approved doctors with how many practise each, by name. Spellings that differ only
   * in case are one specialty, shown as most of its doctors write it (ties: the first in code order).
   * Reads the approved doctors over the listing index in batches.
   */
  async approvedSpecialties(): Promise<{ specialty: string; count: number }[]> {
    const byKey = new Map<string, Map<string, number>>();
    const filter: Filter = { role: 'doctor', 'doctor.approvalStatus': 'approved' };
    let cursor: string | null = null;
    do {
      const batch: Page<UserDoc> = await this.users.find(filter, {
        sort: { _id: 1 },
        limit: 500,
        cursor,
      });
      for (const { doctor } of batch.items) {
        if (!doctor) continue;
        const key = doctor.specialtyKey ?? specialtyKeyOf(doctor.specialty);
        const spellings = byKey.get(key) ?? new Map<string, number>();
        const shown = doctor.specialty.trim();
        spellings.set(shown, (spellings.get(shown) ?? 0) + 1);
        byKey.set(key, spellings);
      }
      cursor = batch.nextCursor;
    } while (cursor);
    return [...byKey.entries()]
      .map(([key, spellings]) => {
        const ranked = [...spellings.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
        return { key, specialty: ranked[0]![0], count: ranked.reduce((n, [, c]) => n + c, 0) };
      })
      .sort((a, b) => a.specialty.localeCompare(b.specialty, 'en') || (a.key < b.key ? -1 : 1))
      .map(({ specialty, count }) => ({ specialty, count }));
  }

  /** Writes the specialty key of doctors stored before it existed; returns how many were written. */
  async backfillSpecialtyKeys(): Promise<number> {
    let written = 0;
    for (;;) {
      const batch = await this.users.find(
        {
          role: 'doctor',
          'doctor.specialty': { $exists: true },
          'doctor.specialtyKey': { $exists: false },
        },
        { sort: { _id: 1 }, limit: 200 },
      );
      for (const doc of batch.items) {
        if (!doc.doctor) continue;
        // Conditional on the specialty read, so a concurrent change of it keeps its own key.
        const updated = await this.users.updateOne(
          { _id: doc._id, 'doctor.specialty': doc.doctor.specialty },
          { $set: { 'doctor.specialtyKey': specialtyKeyOf(doc.doctor.specialty) } },
        );
        if (updated) written++;
      }
      if (!batch.nextCursor) return written;
    }
  }

  /** Moves a pending doctor to approved or rejected; null when the doctor is not pending (or absent). */
  reviewDoctor(
    id: string,
    decision: Exclude<ApprovalStatus, 'pending'>,
    review: { by: string; at: Date },
  ): Promise<UserDoc | null> {
    return this.users.findOneAndUpdate(
      { _id: id, role: 'doctor', 'doctor.approvalStatus': 'pending' },
      {
        $set: {
          'doctor.approvalStatus': decision,
          'doctor.reviewedAt': review.at,
          'doctor.reviewedBy': review.by,
          updatedAt: review.at,
        },
      },
    );
  }
}
