/**
 * Creates the first admin (the API never does). Idempotent: an existing admin is left as is.
 *
 *   bun scripts/create-admin.ts --email admin@example.com [--name "Asha Rao"]   (password read from stdin)
 *   ADMIN_PASSWORD=... bun scripts/create-admin.ts --email admin@example.com
 *
 * The password is never taken as an argument, so it stays out of shell history and process lists.
 * Exit codes: 0 created or already there, 1 refused (the email belongs to a non-admin), 64 bad usage.
 */
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../src/config.ts';
import { buildContainer } from '../src/container.ts';
import { isEmailAddress } from '../src/shared/email-address.ts';
import { AppError } from '../src/shared/errors.ts';

async function readPasswordFromStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Admin password (8-128 characters): ');
  for await (const line of console) return line.trim();
  return '';
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { email: { type: 'string' }, name: { type: 'string' } },
    strict: true,
  });
  const config = loadConfigOrExit();
  const email = values.email ?? config.ADMIN_EMAIL;
  if (!email || !isEmailAddress(email)) {
    console.error('Usage: bun scripts/create-admin.ts --email <address> [--name <name>] (password on stdin)');
    return 64;
  }
  const password = config.ADMIN_PASSWORD ?? (await readPasswordFromStdin());
  if (password.length < 8 || password.length > 128) {
    console.error('The password must be 8-128 characters.');
    return 64;
  }
  // The boot-time bootstrap is switched off here so this run reports exactly what it did.
  const container = await buildContainer({ ...config, ADMIN_EMAIL: undefined, ADMIN_PASSWORD: undefined });
  try {
    const { created, user } = await container.accounts.ensureAdmin(email, password, values.name);
    console.log(
      created ? `Created admin ${user.email} (${user.id}).` : `Admin ${user.email} already exists.`,
    );
    return 0;
  } catch (error) {
    if (error instanceof AppError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  } finally {
    await container.close();
  }
}

process.exit(await main());
