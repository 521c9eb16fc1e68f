import type { Clock } from '../../shared/clock.ts';
import { ConflictError, NotFoundError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { doctorApprovedEmail } from '../email-templates/doctor-approved.ts';
import { doctorRejectedEmail } from '../email-templates/doctor-rejected.ts';
import { emailDraft } from '../outbox/handlers/email.ts';
import type { OutboxService } from '../outbox/outbox.service.ts';
import { type ApprovalStatus, type PublicUser, readerTimeZone, toPublicUser } from '../users/users.model.ts';
import type { UsersRepository } from '../users/users.repository.ts';

/** Admins approve or reject doctors who signed up; each decision is emailed to the doctor. */
export class DoctorReviewService {
  constructor(
    private readonly users: UsersRepository,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly defaultTimeZone: string,
  ) {}

  async list(
    status: ApprovalStatus,
    page: { limit: number; cursor?: string | null },
  ): Promise<{ items: PublicUser[]; nextCursor: string | null }> {
    const found = await this.users.listDoctorsByApproval(status, page);
    return { items: found.items.map(toPublicUser), nextCursor: found.nextCursor };
  }

  /**
   * pending -> approved | rejected, once, with the email to the doctor in the same transaction;
   * anything else is 404 (no such doctor) or 409 (decided).
   */
  async decide(
    doctorId: string,
    decision: 'approved' | 'rejected',
    adminId: string,
    reason?: string,
  ): Promise<PublicUser> {
    const at = this.clock.now();
    if (decision === 'approved') {
      // Only a proven address is published: verification never goes back, so a check before is enough.
      const current = await this.users.findById(doctorId);
      if (
        current?.role === 'doctor' &&
        current.doctor?.approvalStatus === 'pending' &&
        !current.emailVerified
      ) {
        throw new ConflictError(
          'DOCTOR_EMAIL_NOT_VERIFIED',
          'This doctor has not verified their email yet; approve them once they have',
        );
      }
    }
    const reviewed = await this.outbox.transaction(async (tx, outbox) => {
      const doc = await this.users.within(tx).reviewDoctor(doctorId, decision, { by: adminId, at });
      if (!doc) return null;
      const data = {
        to: doc.email,
        name: doc.name,
        reviewedAt: at,
        timeZone: readerTimeZone(doc, this.defaultTimeZone),
      };
      await outbox.enqueue(
        emailDraft(
          decision === 'approved' ? doctorApprovedEmail(data) : doctorRejectedEmail({ ...data, reason }),
        ),
      );
      return doc;
    });
    if (!reviewed) {
      const current = await this.users.findById(doctorId);
      if (current?.role !== 'doctor') throw new NotFoundError('No such doctor', 'DOCTOR_NOT_FOUND');
      throw new ConflictError(
        'ALREADY_REVIEWED',
        `This doctor is already ${current.doctor?.approvalStatus ?? 'reviewed'}`,
      );
    }
    this.logger.info('doctor reviewed', { doctorId, decision, adminId });
    return toPublicUser(reviewed);
  }
}
