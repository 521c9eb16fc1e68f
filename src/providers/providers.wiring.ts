import { type Config, devPaymentSecretFile, devSecret } from '../config.ts';
import type { Store } from '../db/index.ts';
import type { Clock } from '../shared/clock.ts';
import { DevAvatarProvider } from './avatars/dev.ts';
import { ImageKitAvatarProvider } from './avatars/imagekit.ts';
import type { AvatarProvider } from './avatars/port.ts';
import { DevEmailProvider } from './email/dev.ts';
import type { EmailProvider } from './email/port.ts';
import { ResendEmailProvider } from './email/resend.ts';
import { DevPaymentGateway } from './payments/dev.ts';
import type { PaymentGateway } from './payments/port.ts';
import { RazorpayPaymentGateway } from './payments/razorpay.ts';

export interface Providers {
  email: EmailProvider;
  avatars: AvatarProvider;
  paymentGateway: PaymentGateway;
}

/** The configured adapter of each provider; tests pass SDK adapters pointed at loopback fakes. */
export function wireProviders(
  config: Config,
  store: Store,
  clock: Clock,
  overrides: Partial<Providers> = {},
): Providers {
  const email =
    overrides.email ??
    (config.EMAIL_PROVIDER === 'resend'
      ? new ResendEmailProvider({
          apiKey: config.RESEND_API_KEY!,
          from: config.EMAIL_FROM,
          ...(config.RESEND_BASE_URL ? { baseUrl: config.RESEND_BASE_URL } : {}),
        })
      : new DevEmailProvider(store, clock));
  const avatars =
    overrides.avatars ??
    (config.AVATAR_PROVIDER === 'imagekit'
      ? new ImageKitAvatarProvider({
          privateKey: config.IMAGEKIT_PRIVATE_KEY!,
          ...(config.IMAGEKIT_UPLOAD_URL ? { baseUrl: config.IMAGEKIT_UPLOAD_URL } : {}),
        })
      : new DevAvatarProvider(config.DATA_DIR));
  const paymentGateway =
    overrides.paymentGateway ??
    (config.PAYMENT_PROVIDER === 'razorpay'
      ? new RazorpayPaymentGateway({
          keyId: config.RAZORPAY_KEY_ID!,
          keySecret: config.RAZORPAY_KEY_SECRET!,
          webhookSecret: config.RAZORPAY_WEBHOOK_SECRET!,
          baseUrl: config.RAZORPAY_BASE_URL,
        })
      : new DevPaymentGateway(devSecret(config.DATA_DIR, devPaymentSecretFile(config.DATA_DIR))));
  return { email, avatars, paymentGateway };
}
