import type { EmailAttachment, EmailMessage } from '../../providers/email/port.ts';

/** Escapes text for HTML element content and attribute values. */
export const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/**
 * A paragraph of an email: literal text with values in it. The values are what the data brings (names,
 * reasons, codes, times); the HTML rendering escapes each of them, the literal parts are ours.
 */
export interface Paragraph {
  parts: readonly string[];
  values: readonly (string | number)[];
}

/** `p\`Hello ${name},\`` — a paragraph whose interpolated values are escaped in the HTML rendering. */
export const p = (parts: TemplateStringsArray, ...values: (string | number)[]): Paragraph => ({
  parts,
  values,
});

const asText = (paragraph: Paragraph): string =>
  paragraph.parts.reduce(
    (out, part, i) => out + part + (i < paragraph.values.length ? String(paragraph.values[i]) : ''),
    '',
  );

const asHtml = (paragraph: Paragraph): string =>
  paragraph.parts.reduce(
    (out, part, i) =>
      out + escapeHtml(part) + (i < paragraph.values.length ? escapeHtml(String(paragraph.values[i])) : ''),
    '',
  );

export interface EmailContent {
  subject: string;
  /** The greeting line, as a paragraph. */
  greeting?: Paragraph;
  body: Paragraph[];
  /** A value shown large (a one-time code); escaped like the rest. */
  highlight?: string;
  attachments?: EmailAttachment[];
}

const SIGNATURE = 'The HealthVision team';
const FOOTER = 'You received this email because of your HealthVision account.';

/** Every message's one layout: greeting, body, optional highlighted value, signature, footer. */
export function renderEmail(to: string, content: EmailContent): EmailMessage {
  const paragraphs = [...(content.greeting ? [content.greeting] : []), ...content.body];
  const text = [
    ...paragraphs.map(asText),
    ...(content.highlight ? [`    ${content.highlight}`] : []),
    `- ${SIGNATURE}`,
    '--',
    FOOTER,
  ].join('\n\n');
  const html = [
    '<!doctype html><html><body style="margin:0;padding:24px;background:#f4f6f8;font-family:Arial,Helvetica,sans-serif;color:#1f2933">',
    '<div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:24px">',
    '<h1 style="font-size:18px;margin:0 0 16px">HealthVision</h1>',
    ...paragraphs.map((para) => `<p style="line-height:1.5">${asHtml(para)}</p>`),
    ...(content.highlight
      ? [
          `<p style="font-size:28px;font-weight:bold;letter-spacing:4px;text-align:center">${escapeHtml(content.highlight)}</p>`,
        ]
      : []),
    `<p style="line-height:1.5">${escapeHtml(SIGNATURE)}</p>`,
    '</div>',
    `<p style="max-width:560px;margin:16px auto 0;font-size:12px;color:#616e7c">${escapeHtml(FOOTER)}</p>`,
    '</body></html>',
  ].join('');
  return {
    to,
    subject: content.subject,
    text: `${text}\n`,
    html,
    ...(content.attachments?.length ? { attachments: content.attachments } : {}),
  };
}

/**
 * An instant as the reader's clock shows it, with the zone named: "Tuesday, 1 December 2026 at 3:30 pm
 * GMT+5:30 (Asia/Kolkata)".
 */
export function formatInZone(at: Date, timeZone: string): string {
  const local = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    hour12: true,
    timeZoneName: 'short',
  }).format(at);
  return `${local} (${timeZone})`;
}
