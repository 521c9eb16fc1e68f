import type { Config } from '../../config.ts';
import type { Store } from '../../db/index.ts';
import type { Purge } from '../../jobs/housekeeping.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AppointmentsRepository } from '../appointments/appointments.repository.ts';
import type { TokenService } from '../auth/tokens.service.ts';
import { CallTicketsRepository } from './call-tickets.repository.ts';
import { ConsultationsRepository } from './consultations.repository.ts';
import { ConsultationsService } from './consultations.service.ts';
import { splitUrls } from './ice-servers.ts';
import { InProcessSignalBus } from './signal-bus.ts';
import { SignalingHub } from './signaling-hub.ts';

/** How often the signaling heartbeat pings; a socket silent for two beats is dropped. */
const HEARTBEAT_SECONDS = 15;

/** Call tickets, the consultation record and the signaling rooms; a sign-out closes its sockets. */
export function wireConsultations(
  config: Config,
  deps: {
    store: Store;
    appointmentsRepo: AppointmentsRepository;
    tokens: TokenService;
    clock: Clock;
    logger: Logger;
  },
) {
  const { store, clock } = deps;
  const ticketsRepo = new CallTicketsRepository(store);
  const consultations = new ConsultationsService(
    deps.appointmentsRepo,
    ticketsRepo,
    new ConsultationsRepository(store),
    deps.tokens,
    clock,
    {
      stunUrls: splitUrls(config.STUN_URLS),
      turnUrls: splitUrls(config.TURN_URLS),
      turnSecret: config.TURN_SECRET,
      turnTtlSeconds: config.TURN_TTL_SECONDS,
      ticketSeconds: config.CALL_TICKET_SECONDS,
      joinEarlyMinutes: config.CALL_JOIN_EARLY_MINUTES,
      joinLateMinutes: config.CALL_JOIN_LATE_MINUTES,
    },
  );
  const signalingHub = new SignalingHub(consultations, new InProcessSignalBus(), clock, deps.logger, {
    maxMessagesPerSecond: config.WS_MAX_MESSAGES_PER_SECOND,
    heartbeatSeconds: HEARTBEAT_SECONDS,
  });
  deps.tokens.onSessionEnded((ended) => signalingHub.endSessions(ended));
  const purges: Purge[] = [{ name: 'callTickets', run: (now) => ticketsRepo.purgeExpired(now) }];
  return { consultations, signalingHub, purges };
}
