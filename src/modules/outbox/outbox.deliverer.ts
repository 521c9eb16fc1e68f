import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Clock } from '../../shared/clock.ts';
import type { Logger } from '../../shared/logger.ts';
import type { OutboxHandler } from './outbox.handler.ts';
import type { OutboxDoc, OutboxKind } from './outbox.model.ts';
import type { OutboxRepository } from './outbox.repository.ts';

export interface DeliverySettings {
  leaseSeconds: number;
  retryBaseSeconds: number;
  retryMaxSeconds: number;
  maxAttempts: number;
}

/** What a kind may set apart from the outbox's defaults (analysis retries on its own schedule). */
export type KindRetrySettings = Partial<
  Pick<DeliverySettings, 'retryBaseSeconds' | 'retryMaxSeconds' | 'maxAttempts'>
>;

/** Records claimed per round; small, so a round finishes well inside one lease. */
const BATCH = 10;
/** Rounds per run: a run ends even while others keep writing; the next wake or tick goes on. */
const MAX_ROUNDS = 100;

/**
 * The wait before attempt `attempt + 1` after `attempt` failed: exponential from `base`, capped at
 * `max`, with "equal jitter" (half fixed, half random) so retries of one outage spread out.
 */
export function retryDelaySeconds(attempt: number, base: number, max: number, random = Math.random): number {
  const capped = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return capped / 2 + (capped / 2) * random();
}

/**
 * Delivers due outbox records, each through the handler of its kind. Runs on a tick (the outbox job)
 * and when woken after a commit; several deliverers (instances) may run at once, because each record is
 * claimed by one conditional write with a lease.
 */
export class OutboxDeliverer {
  private readonly handlers = new Map<OutboxKind, OutboxHandler>();
  private readonly checks = new Map<OutboxKind, ReturnType<typeof TypeCompiler.Compile>>();
  private readonly retries = new Map<OutboxKind, KindRetrySettings>();
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly repo: OutboxRepository,
    handlers: OutboxHandler[],
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly settings: DeliverySettings,
  ) {
    for (const handler of handlers) this.register(handler);
  }

  /** Adds the handler of a kind, wired after the outbox (its module writes records through the outbox). */
  register(handler: OutboxHandler, retry: KindRetrySettings = {}): void {
    this.handlers.set(handler.kind, handler);
    this.checks.set(handler.kind, TypeCompiler.Compile(handler.payload));
    this.retries.set(handler.kind, retry);
  }

  /**
   * Starts a run on the next turn of the event loop (or one more after the current run), without waiting
   * for it: the request that committed answers first, and takes as long whether or not it wrote mail.
   */
  wake(): void {
    if (this.stopped) return;
    this.again = true;
    this.running ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.loop());
  }

  /** Resolves once no run is under way: every record due when it was last woken has been tried. */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  /** No more runs start; resolves when the current one ends. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.settled();
  }

  private async loop(): Promise<void> {
    try {
      while (this.again && !this.stopped) {
        this.again = false;
        await this.deliverDue().catch((error: unknown) =>
          this.logger.error('outbox run failed', {
            error: error instanceof Error ? error.message : String(error),
          }),
        );
      }
    } finally {
      this.running = null;
    }
  }

  /** Claims and performs due records until none is left (bounded); returns how many were sent. */
  async deliverDue(): Promise<number> {
    let sent = 0;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const now = this.clock.now();
      const claimed = await this.repo.claimDue(
        now,
        new Date(now.getTime() + this.settings.leaseSeconds * 1000),
        BATCH,
      );
      if (claimed.length === 0) break;
      for (const record of claimed) if (await this.perform(record)) sent++;
    }
    return sent;
  }

  private async perform(record: OutboxDoc): Promise<boolean> {
    const handler = this.handlers.get(record.kind);
    const payload = record.body === undefined ? undefined : safeParse(record.body);
    if (!handler || payload === undefined || !this.checks.get(record.kind)!.Check(payload)) {
      await this.repo.park(
        record,
        handler ? 'the stored body is missing or malformed' : 'no handler for this kind',
        this.clock.now(),
      );
      this.logger.error('outbox record parked', { id: record._id, kind: record.kind, reason: 'unreadable' });
      return false;
    }
    try {
      await handler.perform(payload, { id: record._id });
    } catch (error) {
      const failure = handler.classify(error);
      if (await this.fail(record, failure)) await handler.parked?.(payload, failure);
      return false;
    }
    if (await this.repo.markSent(record, this.clock.now())) {
      this.logger.info('outbox delivered', { id: record._id, kind: record.kind, attempts: record.attempts });
    } else {
      // The lease lapsed and another deliverer holds the record; the idempotency key keeps it one message.
      this.logger.warn('outbox lease lost', { id: record._id, kind: record.kind });
    }
    return true;
  }

  /** Parks the record or schedules its retry; true when it was parked. */
  private async fail(record: OutboxDoc, failure: { permanent: boolean; message: string }): Promise<boolean> {
    const now = this.clock.now();
    const message = failure.message.slice(0, 500);
    const settings = { ...this.settings, ...this.retries.get(record.kind) };
    const exhausted = record.attempts >= settings.maxAttempts;
    if (failure.permanent || exhausted) {
      await this.repo.park(record, message, now);
      this.logger.error('outbox record parked', {
        id: record._id,
        kind: record.kind,
        attempts: record.attempts,
        reason: failure.permanent ? 'permanent' : 'attempts_exhausted',
        error: message,
      });
      return true;
    }
    const { retryBaseSeconds, retryMaxSeconds } = settings;
    const delay = retryDelaySeconds(record.attempts, retryBaseSeconds, retryMaxSeconds);
    const at = new Date(now.getTime() + Math.round(delay * 1000));
    await this.repo.scheduleRetry(record, at, message, now);
    this.logger.warn('outbox delivery failed; will retry', {
      id: record._id,
      kind: record.kind,
      attempts: record.attempts,
      nextAttemptAt: at.toISOString(),
      error: message,
    });
    return false;
  }
}

const safeParse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};
