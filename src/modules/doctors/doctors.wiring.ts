import type { UsersRepository } from '../users/users.repository.ts';
import { DoctorsService } from './doctors.service.ts';

export function wireDoctors(deps: { usersRepo: UsersRepository }) {
  return { doctors: new DoctorsService(deps.usersRepo) };
}
