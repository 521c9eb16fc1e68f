import { formatInZone, p, renderEmail } from './layout.ts';

export interface DoctorRejectedData {
  to: string;
  name: string;
  reason?: string | undefined;
  reviewedAt: Date;
  timeZone: string;
}

/** An admin could not approve a doctor's profile. */
export function doctorRejectedEmail(data: DoctorRejectedData) {
  return renderEmail(data.to, {
    subject: 'Your HealthVision doctor profile was not approved',
    greeting: p`Hello ${data.name},`,
    body: [
      p`An administrator reviewed your profile on ${formatInZone(data.reviewedAt, data.timeZone)} and could not approve it.`,
      ...(data.reason ? [p`Reason: ${data.reason}`] : []),
      p`Reply to this email if you think this is a mistake.`,
    ],
  });
}
