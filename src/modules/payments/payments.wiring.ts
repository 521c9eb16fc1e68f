import type { Config } from '../../config.ts';
import type { Store } from '../../db/index.ts';
import type { PaymentGateway } from '../../providers/payments/port.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AppointmentMail } from '../appointments/appointment-mail.ts';
import type { AppointmentsRepository } from '../appointments/appointments.repository.ts';
import type { AppointmentsService } from '../appointments/appointments.service.ts';
import type { OutboxService } from '../outbox/outbox.service.ts';
import type { RemindersService } from '../reminders/reminders.service.ts';
import type { SlotsRepository } from '../slots/slots.repository.ts';
import type { UsersRepository } from '../users/users.repository.ts';
import { WalletRepository } from '../wallet/wallet.repository.ts';
import { WalletService } from '../wallet/wallet.service.ts';
import { CancellationsService } from './cancellations.service.ts';
import { PaymentsAudit } from './payments.audit.ts';
import { PaymentsRepository } from './payments.repository.ts';
import { PaymentsService } from './payments.service.ts';
import { RefundsRepository } from './refunds.repository.ts';
import { RefundsService } from './refunds.service.ts';

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
    appointments: AppointmentsService;
    appointmentMail: AppointmentMail;
    reminders: RemindersService;
    slotsRepo: SlotsRepository;
    usersRepo: UsersRepository;
  },
) {
  const paymentsRepo = new PaymentsRepository(deps.store);
  const walletRepo = new WalletRepository(deps.store);
  const refundsRepo = new RefundsRepository(deps.store);
  const refunds = new RefundsService({
    outbox: deps.outbox,
    refunds: refundsRepo,
    payments: paymentsRepo,
    users: deps.usersRepo,
    clock: deps.clock,
    logger: deps.logger,
  });
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
      reconcileAfterSeconds: 180,
    },
    mail: deps.appointmentMail,
    reminders: deps.reminders,
    refundEvents: refunds,
  });
  const cancellations = new CancellationsService({
    outbox: deps.outbox,
    holds: deps.appointments,
    attempts: payments,
    appointments: deps.appointmentsRepo,
    slots: deps.slotsRepo,
    payments: paymentsRepo,
    wallet: walletRepo,
    refunds: refundsRepo,
    mail: deps.appointmentMail,
    reminders: deps.reminders,
    clock: deps.clock,
    logger: deps.logger,
    policy: { fullHours: config.REFUND_FULL_HOURS, latePercent: config.REFUND_LATE_PERCENT },
  });
  const paymentsAudit = new PaymentsAudit(
    paymentsRepo,
    walletRepo,
    deps.appointmentsRepo,
    deps.slotsRepo,
    refundsRepo,
    deps.clock,
    config.HOLD_SWEEP_SECONDS,
  );
  return {
    paymentsRepo,
    walletRepo,
    refundsRepo,
    payments,
    refunds,
    cancellations,
    wallet: new WalletService(walletRepo),
    paymentsAudit,
  };
}
