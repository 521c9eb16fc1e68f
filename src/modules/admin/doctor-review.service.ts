import type { EmailProvider } from '../../providers/email/port.ts';
import type { Clock } from '../../shared/clock.ts';
import { ConflictError, NotFoundError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { accountEmails, sendQuietly } from '../auth/account-emails.ts';
import { type ApprovalStatus, type PublicUser, toPublicUser } from '../users/users.model.ts';
import type { UsersRepository } from '../users/users.repository.ts';

/** Admins approve or reject doctors who signed up; each decision is emailed to the doctor. */
export class DoctorReviewService {
  constructor(
    private readonly users: UsersRepository,
    private readonly email: EmailProvider,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async list(
    status: ApprovalStatus,
    page: { limit: number; cursor?: string | null },
  ): Promise<{ items: PublicUser[]; nextCursor: string | null }> {
    const found = await this.users.listDoctorsByApproval(status, page);
    return { items: found.items.map(toPublicUser), nextCursor: found.nextCursor };
  }

  /** pending -> approved | rejected, once; anything else is 404 (no such doctor) or 409 (decided). */
  async decide(
    doctorId: string,
    decision: 'approved' | 'rejected',
    adminId: string,
    reason?: string,
  ): Promise<PublicUser> {
    const reviewed = await this.users.reviewDoctor(doctorId, decision, { by: adminId, at: this.clock.now() });
    if (!reviewed) {
      const current = await this.users.findById(doctorId);
      if (current?.role !== 'doctor') throw new NotFoundError('No such doctor', 'DOCTOR_NOT_FOUND');
      throw new ConflictError(
        'ALREADY_REVIEWED',
        `This doctor is already ${current.doctor?.approvalStatus ?? 'reviewed'}`,
      );
    }
    const message =
      decision === 'approved'
        ? accountEmails.doctorApproved(reviewed.email, reviewed.name)
        : accountEmails.doctorRejected(reviewed.email, reviewed.name, reason);
    await sendQuietly(
      this.email,
      this.logger,
      decision === 'approved' ? 'doctorApproved' : 'doctorRejected',
      message,
    );
    this.logger.info('doctor reviewed', { doctorId, decision, adminId });
    return toPublicUser(reviewed);
  }
}
