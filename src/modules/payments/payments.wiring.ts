import type { Config } from '../../config.ts';
import type { Store } from '../../db/index.ts';
import type { PaymentGateway } from '../../providers/payments/port.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AppointmentsRepository } from '../appointments/appointments.repository.ts';
import type { OutboxService } from '../outbox/outbox.service.ts';
import type { SlotsRepository } from '../slots/slots.repository.ts';
import type { UsersRepository } from '../users/users.repository.ts';
import { WalletRepository } from '../wallet/wallet.repository.ts';
import { WalletService } from '../wallet/wallet.service.ts';
import { PaymentsAudit } from './payments.audit.ts';
import { PaymentsRepository } from './payments.repository.ts';
import { PaymentsService } from './payments.service.ts';

/** Payments and the wallet ledger they move. */
export function wirePayments(
  config: Config,
  deps: {
    store: Store;
    clock: Clock;
    logger: Logger;
    outbox: OutboxService;
    paymentGateway: PaymentGateway;
    appointmentsRepo: AppointmentsRepository;
    slotsRepo: SlotsRepository;
    usersRepo: UsersRepository;
  },
) {
  const paymentsRepo = new PaymentsRepository(deps.store);
  const walletRepo = new WalletRepository(deps.store);
  const payments = new PaymentsService({
    store: deps.store,
    outbox: deps.outbox,
    payments: paymentsRepo,
    wallet: walletRepo,
    appointments: deps.appointmentsRepo,
    slots: deps.slotsRepo,
    users: deps.usersRepo,
    gateway: deps.paymentGateway,
    clock: deps.clock,
    logger: deps.logger,
    rules: {
      topupMaxPaise: config.WALLET_TOPUP_MAX_PAISE,
      defaultTimeZone: config.DEFAULT_TIMEZONE,
      emailFrom: config.EMAIL_FROM,
      reconcileAfterSeconds: 180,
    },
  });
  const paymentsAudit = new PaymentsAudit(
    paymentsRepo,
    walletRepo,
    deps.appointmentsRepo,
    deps.slotsRepo,
    deps.clock,
    config.HOLD_SWEEP_SECONDS,
  );
  return { paymentsRepo, walletRepo, payments, wallet: new WalletService(walletRepo), paymentsAudit };
}
