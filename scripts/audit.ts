/**
 * Prints the payments audit (the same report as GET /api/v1/admin/payments/audit) as JSON.
 *
 *   bun run audit
 *
 * Exit codes: 0 the books balance, 1 a violation was found.
 */
import { loadConfigOrExit } from '../src/config.ts';
import { buildContainer } from '../src/container.ts';

async function main(): Promise<number> {
  const config = loadConfigOrExit();
  // No admin bootstrap: the audit only reads.
  const container = await buildContainer({ ...config, ADMIN_EMAIL: undefined, ADMIN_PASSWORD: undefined });
  try {
    const report = await container.paymentsAudit.run();
    console.log(JSON.stringify(report, null, 2));
    return report.ok ? 0 : 1;
  } finally {
    await container.close();
  }
}

process.exit(await main());
