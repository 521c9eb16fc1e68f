import type { Clock } from '../../shared/clock.ts';
import { type FieldIssue, NotFoundError, ValidationError } from '../../shared/errors.ts';
import type { AvatarsService } from './avatars.service.ts';
import { languagesField, timeZoneField, trimmedText } from './profile-fields.ts';
import { type ProfilePatch, type PublicUser, toPublicUser } from './users.model.ts';
import type { ProfileChanges, UsersRepository } from './users.repository.ts';

// `timezone` is everyone's: a doctor's practice zone, or a patient's zone for email times.
const DOCTOR_FIELDS = ['specialty', 'consultationFeePaise', 'bio', 'languages'] as const;

/** A signed-in user's own profile. */
export class ProfileService {
  constructor(
    private readonly users: UsersRepository,
    private readonly avatars: AvatarsService,
    private readonly clock: Clock,
  ) {}

  async get(userId: string): Promise<PublicUser> {
    const user = await this.users.findById(userId);
    if (!user) throw new NotFoundError('No such user');
    return toPublicUser(user);
  }

  async update(userId: string, patch: ProfilePatch): Promise<PublicUser> {
    const user = await this.users.findById(userId);
    if (!user) throw new NotFoundError('No such user');
    const issues: FieldIssue[] = [];
    for (const field of DOCTOR_FIELDS) {
      if (patch[field] !== undefined && user.role !== 'doctor') {
        issues.push({ path: field, message: 'only doctors have this field' });
      }
    }
    const doctor: NonNullable<ProfileChanges['doctor']> = {};
    if (patch.specialty !== undefined)
      doctor.specialty = trimmedText(patch.specialty, 'specialty', 2, issues);
    if (patch.consultationFeePaise !== undefined) doctor.consultationFeePaise = patch.consultationFeePaise;
    let timezone: string | undefined;
    if (patch.timezone !== undefined) {
      if (user.role === 'doctor') doctor.timezone = timeZoneField(patch.timezone, issues);
      else timezone = timeZoneField(patch.timezone, issues);
    }
    if (patch.bio !== undefined) doctor.bio = patch.bio;
    if (patch.languages !== undefined) doctor.languages = languagesField(patch.languages, issues);
    const name = patch.name !== undefined ? trimmedText(patch.name, 'name', 1, issues) : undefined;
    if (issues.length) throw new ValidationError('The request is invalid', issues);
    const changes: ProfileChanges = {
      ...(name !== undefined ? { name } : {}),
      ...(patch.phone !== undefined ? { phone: patch.phone } : {}),
      ...(timezone !== undefined ? { timezone } : {}),
      ...(Object.keys(doctor).length ? { doctor } : {}),
    };
    const updated = await this.users.updateProfile(userId, changes, this.clock.now());
    if (!updated) throw new NotFoundError('No such user');
    return toPublicUser(updated);
  }

  /** Stores the new picture first, points the profile at it, then removes the old file. */
  async replaceAvatar(userId: string, file: Blob): Promise<PublicUser> {
    const user = await this.users.findById(userId);
    if (!user) throw new NotFoundError('No such user');
    const stored = await this.avatars.store(userId, file);
    const updated = await this.users.setAvatar(userId, stored, this.clock.now());
    if (!updated) {
      await this.avatars.discard(stored.fileId);
      throw new NotFoundError('No such user');
    }
    if (user.avatarFileId && user.avatarFileId !== stored.fileId)
      await this.avatars.discard(user.avatarFileId);
    return toPublicUser(updated);
  }
}
