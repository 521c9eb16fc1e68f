import { formatInZone, p, renderEmail } from './layout.ts';

export interface DoctorApprovedData {
  to: string;
  name: string;
  reviewedAt: Date;
  timeZone: string;
}

/** An admin approved a doctor's profile. */
export function doctorApprovedEmail(data: DoctorApprovedData) {
  return renderEmail(data.to, {
    subject: 'Your HealthVision doctor profile is approved',
    greeting: p`Hello ${data.name},`,
    body: [
      p`An administrator approved your profile on ${formatInZone(data.reviewedAt, data.timeZone)}.`,
      p`Patients can now find you and book your slots.`,
    ],
  });
}
