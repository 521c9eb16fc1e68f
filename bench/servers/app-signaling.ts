/**
 * The signaling relay as the app runs it: the whole app (createApp over the container) listening, the
 * hub open, and one confirmed appointment whose tickets (two pairs) are written to `ticketFile` as JSON.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { buildContainer } from '../../src/container.ts';

const [portArg, ticketFile] = Bun.argv.slice(2);
const dataDir = mkdtempSync(join(tmpdir(), 'hv-bench-signaling-'));
// The bench stops this server with SIGTERM; its data folder (a dev secret or two) goes with it.
process.on('SIGTERM', () => {
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
});
const config = loadConfig({
  HOST: '127.0.0.1',
  PORT: portArg,
  DATA_DIR: dataDir,
  DATABASE_URL: 'sqlite::memory:',
  JWT_SECRET: 'bench-secret-that-is-long-enough-0123456789',
  LOG_LEVEL: 'warn',
  // The bench measures the relay, not the flood guard.
  WS_MAX_MESSAGES_PER_SECOND: '1000000',
});
const container = await buildContainer(config);
container.signalingHub.open();
const now = new Date();
const [patientId, doctorId] = [Bun.randomUUIDv7(), Bun.randomUUIDv7()];
const appointment = await container.appointmentsRepo.insert({
  patientId,
  doctorId,
  slotId: Bun.randomUUIDv7(),
  startsAt: new Date(now.getTime() + 5 * 60_000),
  endsAt: new Date(now.getTime() + 35 * 60_000),
  status: 'confirmed',
  feePaise: 0,
  holdExpiresAt: now,
  createdAt: now,
  updatedAt: now,
});
const ticketOf = async (userId: string, role: 'patient' | 'doctor') => {
  const pair = await container.tokens.startSession(userId, role);
  const user = await container.tokens.authenticate(`Bearer ${pair.accessToken}`);
  return (await container.consultations.issueTicket(user, appointment._id)).ticket;
};
// A pair for the warm-up and a pair for the measured run: tickets work once.
const tickets = [];
for (let i = 0; i < 2; i++) {
  tickets.push({ patient: await ticketOf(patientId, 'patient'), doctor: await ticketOf(doctorId, 'doctor') });
}
createApp(container).listen({ hostname: config.HOST, port: config.PORT, reusePort: false });
writeFileSync(ticketFile!, JSON.stringify(tickets));
