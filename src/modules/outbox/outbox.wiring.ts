import type { Config } from '../../config.ts';
import type { Store } from '../../db/index.ts';
import type { Purge } from '../../jobs/housekeeping.ts';
import type { EmailProvider } from '../../providers/email/port.ts';
import type { PaymentGateway } from '../../providers/payments/port.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Lifecycle } from '../../shared/lifecycle.ts';
import type { Logger } from '../../shared/logger.ts';
import { EmailHandler } from './handlers/email.ts';
import { RazorpayRefundHandler } from './handlers/razorpay-refund.ts';
import { OutboxDeliverer } from './outbox.deliverer.ts';
import { OutboxRepository } from './outbox.repository.ts';
import { OutboxService } from './outbox.service.ts';

/** Every email and gateway refund goes through the outbox, written with its state change, delivered by the deliverer. */
export function wireOutbox(
  config: Config,
  deps: {
    store: Store;
    email: EmailProvider;
    paymentGateway: PaymentGateway;
    clock: Clock;
    logger: Logger;
    resources: Lifecycle;
  },
) {
  const { store, email, clock, logger, resources } = deps;
  const handlers = [new EmailHandler(email), new RazorpayRefundHandler(deps.paymentGateway)];
  const outboxRepo = new OutboxRepository(store);
  const outboxDeliverer = new OutboxDeliverer(outboxRepo, handlers, clock, logger, {
    leaseSeconds: config.OUTBOX_LEASE_SECONDS,
    retryBaseSeconds: config.OUTBOX_RETRY_BASE_SECONDS,
    retryMaxSeconds: config.OUTBOX_RETRY_MAX_SECONDS,
    maxAttempts: config.OUTBOX_MAX_ATTEMPTS,
  });
  // A delivery under way may still write to the store (its record, the dev mailbox): it stops first.
  resources.add('outbox deliverer', () => outboxDeliverer.stop());
  const outbox = new OutboxService(
    store,
    outboxRepo,
    outboxDeliverer,
    clock,
    logger,
    config.OUTBOX_KEEP_DAYS,
  );
  const purges: Purge[] = [
    { name: 'outboxSecrets', run: (now) => outbox.eraseLapsedSecrets(now) },
    { name: 'outboxSent', run: (now) => outbox.purgeSent(now) },
  ];
  return { outbox, outboxDeliverer, purges };
}
