/**
 * A process that places one hold on a file store and is killed (SIGKILL, no cleanup of any kind) at the
 * moment the appointment would be inserted, after the slot claim. Usage:
 *   bun test/support/hold-then-crash.ts <DATA_DIR> <DATABASE_URL> <patientId> <slotId>
 */
import { loadConfig } from '../../src/config.ts';
import { buildContainer } from '../../src/container.ts';
import type { AppointmentDoc } from '../../src/modules/appointments/appointments.model.ts';
import { AppointmentsRepository } from '../../src/modules/appointments/appointments.repository.ts';
import { AppointmentsService } from '../../src/modules/appointments/appointments.service.ts';

class KilledAtInsert extends AppointmentsRepository {
  override insert(): Promise<AppointmentDoc> {
    process.kill(process.pid, 'SIGKILL');
    return new Promise(() => {});
  }
}

const [dataDir, databaseUrl, patientId, slotId] = process.argv.slice(2) as [string, string, string, string];
const config = loadConfig({
  NODE_ENV: 'test',
  DATA_DIR: dataDir,
  DATABASE_URL: databaseUrl,
  JWT_SECRET: 'test-secret-that-is-long-enough-to-be-real-0123456789',
  LOG_LEVEL: 'silent',
});
const c = await buildContainer(config);
const appointments = new AppointmentsService(
  c.store,
  new KilledAtInsert(c.store),
  c.slotsRepo,
  c.usersRepo,
  c.clock,
  c.logger,
  { holdSeconds: config.BOOKING_HOLD_SECONDS, maxHoldsPerPatient: config.MAX_HOLDS_PER_PATIENT },
);
await appointments.hold(patientId, { slotId });
// Never reached: the insert kills the process. Exit 3 tells the test the kill did not happen.
process.exit(3);
