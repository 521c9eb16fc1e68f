import type { EmailMessage, EmailProvider } from '../../providers/email/port.ts';
import type { Logger } from '../../shared/logger.ts';

const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const message = (to: string, subject: string, lines: string[]): EmailMessage => ({
  to,
  subject,
  text: `${lines.join('\n\n')}\n\n- HealthVision`,
  html: `${lines.map((line) => `<p>${escapeHtml(line)}</p>`).join('')}<p>- HealthVision</p>`,
});

export const accountEmails = {
  verifyEmail: (to: string, name: string, code: string, ttlMinutes: number) =>
    message(to, 'Your HealthVision verification code', [
      `Hello ${name},`,
      `Your verification code is ${code}. It is valid for ${ttlMinutes} minutes and works once.`,
      'If you did not sign up for HealthVision, ignore this email.',
    ]),
  resetPassword: (to: string, code: string, ttlMinutes: number) =>
    message(to, 'Your HealthVision password reset code', [
      `Your password reset code is ${code}. It is valid for ${ttlMinutes} minutes and works once.`,
      'If you did not ask to reset your password, ignore this email; your password stays as it is.',
    ]),
  doctorApproved: (to: string, name: string) =>
    message(to, 'Your HealthVision doctor profile is approved', [
      `Hello ${name},`,
      'An administrator has approved your profile. Patients can now find you and book your slots.',
    ]),
  doctorRejected: (to: string, name: string, reason: string | undefined) =>
    message(to, 'Your HealthVision doctor profile was not approved', [
      `Hello ${name},`,
      'An administrator has reviewed your profile and could not approve it.',
      ...(reason ? [`Reason: ${reason}`] : []),
      'Reply to this email if you think this is a mistake.',
    ]),
};

/**
 * Sends and never throws: a failed email is logged by template name (never its content, which may
 * hold a code) and the request goes on; the user can ask for another code.
 */
export async function sendQuietly(
  provider: EmailProvider,
  logger: Logger,
  template: keyof typeof accountEmails,
  email: EmailMessage,
): Promise<boolean> {
  try {
    await provider.send(email);
    return true;
  } catch (error) {
    logger.error('email not sent', {
      template,
      provider: provider.kind,
      error: error instanceof Error ? error.name : 'unknown',
    });
    return false;
  }
}
