import { NotFoundError } from '../../shared/errors.ts';
import type { UsersRepository } from '../users/users.repository.ts';
import {
  type ApprovedDoctor,
  DOCTOR_PAGE_DEFAULT,
  type DoctorsQuery,
  isApprovedDoctor,
  type PublicDoctor,
  type SpecialtyList,
  toPublicDoctor,
} from './doctors.model.ts';

/** The public directory: approved doctors only. */
export class DoctorsService {
  constructor(private readonly users: UsersRepository) {}

  async list(query: DoctorsQuery): Promise<{ items: PublicDoctor[]; nextCursor: string | null }> {
    const page = await this.users.pageApprovedDoctors({
      specialty: query.specialty,
      q: query.q,
      limit: query.limit ?? DOCTOR_PAGE_DEFAULT,
      cursor: query.cursor,
    });
    return {
      items: page.items.filter(isApprovedDoctor).map(toPublicDoctor),
      nextCursor: page.nextCursor,
    };
  }

  /** The specialties of approved doctors, by name, with how many practise each. */
  async specialties(): Promise<SpecialtyList> {
    return { items: await this.users.approvedSpecialties() };
  }

  async profile(id: string): Promise<PublicDoctor> {
    return toPublicDoctor(await this.approved(id));
  }

  /** The approved doctor with this id; 404 `DOCTOR_NOT_FOUND` otherwise (pending and rejected included). */
  async approved(id: string): Promise<ApprovedDoctor> {
    const user = await this.users.findApprovedDoctor(id);
    if (!isApprovedDoctor(user)) throw new NotFoundError('No such doctor', 'DOCTOR_NOT_FOUND');
    return user;
  }
}
