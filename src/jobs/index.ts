import { Cron } from 'croner';
import type { Config } from '../config.ts';
import type { AppointmentsService } from '../modules/appointments/appointments.service.ts';
import type { OutboxDeliverer } from '../modules/outbox/outbox.deliverer.ts';
import type { PaymentsService } from '../modules/payments/payments.service.ts';
import type { RemindersService } from '../modules/reminders/reminders.service.ts';
import type { Clock } from '../shared/clock.ts';
import type { Logger } from '../shared/logger.ts';
import { type Purge, purgeExpiredRecords } from './housekeeping.ts';

export interface JobSpec {
  name: string;
  /** Seconds between runs. */
  everySeconds: number;
  run: () => Promise<unknown>;
}

export interface Jobs {
  stop(): Promise<void>;
}

/** What the recurring jobs work with. */
export interface JobDeps {
  config: Pick<
    Config,
    'HOLD_SWEEP_SECONDS' | 'OUTBOX_POLL_SECONDS' | 'HOUSEKEEPING_SECONDS' | 'PAYMENT_RECONCILE_SECONDS'
  >;
  appointments: AppointmentsService;
  payments: PaymentsService;
  reminders: RemindersService;
  outboxDeliverer: OutboxDeliverer;
  purges: Purge[];
  clock: Clock;
  logger: Logger;
}

/** The recurring jobs; each is a plain async function of its dependencies. */
export function jobSpecs(deps: JobDeps): JobSpec[] {
  const { config, appointments, payments, reminders, purges, clock, logger, outboxDeliverer } = deps;
  return [
    {
      name: 'hold-sweeper',
      everySeconds: config.HOLD_SWEEP_SECONDS,
      // Lapsed holds expire, then the wallet reservations of attempts that are over are released.
      run: async () => ({
        ...(await appointments.expireLapsedHolds()),
        reservationsReleased: await payments.releaseStaleReservations(),
      }),
    },
    {
      name: 'payment-reconciliation',
      everySeconds: config.PAYMENT_RECONCILE_SECONDS,
      run: () => payments.reconcile(),
    },
    {
      // The fallback: a commit that writes to the outbox wakes the deliverer at once.
      name: 'outbox',
      everySeconds: config.OUTBOX_POLL_SECONDS,
      run: () => {
        outboxDeliverer.wake();
        return outboxDeliverer.settled();
      },
    },
    {
      // Due reminders, each claimed by one conditional write: any number of instances send it once.
      name: 'reminders',
      everySeconds: 60,
      run: () => reminders.sendDue(),
    },
    {
      name: 'housekeeping',
      everySeconds: config.HOUSEKEEPING_SECONDS,
      run: () => purgeExpiredRecords(purges, clock, logger),
    },
  ];
}

/** Starts each job on its own schedule; a run never overlaps the previous one of the same job. */
export function startJobs(deps: JobDeps, specs = jobSpecs(deps)): Jobs {
  const running = new Set<Promise<unknown>>();
  const crons = specs.map(
    (spec) =>
      new Cron(
        // Every second, gated by `interval`: any period works, unlike a `*/N` seconds step (N < 60).
        '* * * * * *',
        { name: spec.name, interval: Math.max(1, spec.everySeconds), protect: true, unref: true },
        async () => {
          const run = spec.run().catch((error: unknown) =>
            deps.logger.error('job failed', {
              job: spec.name,
              error: error instanceof Error ? error.message : String(error),
            }),
          );
          running.add(run);
          await run;
          running.delete(run);
        },
      ),
  );
  return {
    async stop() {
      for (const cron of crons) cron.stop();
      await Promise.all(running);
    },
  };
}
