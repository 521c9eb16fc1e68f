import { type EmailContent, p, renderEmail } from './layout.ts';

export interface VerificationCodeData {
  to: string;
  name: string;
  code: string;
  ttlMinutes: number;
}

/** The code that proves an address at signup (and on resend). */
export function verificationCodeEmail(data: VerificationCodeData) {
  const content: EmailContent = {
    subject: 'Your HealthVision verification code',
    greeting: p`Hello ${data.name},`,
    body: [
      p`Your verification code is ${data.code}. It is valid for ${data.ttlMinutes} minutes and works once.`,
      p`If you did not sign up for HealthVision, ignore this email.`,
    ],
    highlight: data.code,
  };
  return renderEmail(data.to, content);
}
