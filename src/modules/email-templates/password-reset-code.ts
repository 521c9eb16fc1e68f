import { p, renderEmail } from './layout.ts';

export interface PasswordResetCodeData {
  to: string;
  code: string;
  ttlMinutes: number;
}

/** The code that lets the holder of an address set a new password. */
export function passwordResetCodeEmail(data: PasswordResetCodeData) {
  return renderEmail(data.to, {
    subject: 'Your HealthVision password reset code',
    body: [
      p`Your password reset code is ${data.code}. It is valid for ${data.ttlMinutes} minutes and works once.`,
      p`If you did not ask to reset your password, ignore this email; your password stays as it is.`,
    ],
    highlight: data.code,
  });
}
