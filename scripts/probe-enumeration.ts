/**
 * Probes the code routes for account discovery: for N addresses with an account (half verified, half
 * just signed up) and N without, it sends every address the same requests to POST /auth/password/forgot,
 * /auth/password/reset, /auth/otp/verify and /auth/otp/resend (the wrong-code paths down to the lock, the
 * throttled repeats) and checks that each answer is byte-identical for every address, apart from the
 * request id. Exit code 0 when they all are, 1 when any differs (the differing answers are printed).
 *
 *   bun run probe:enumeration                    # against the app built in-process on an in-memory store
 *   bun run probe:enumeration --url http://localhost:3000 [--count 20]
 *
 * A running server must have the dev email provider (accounts are made through signup and the codes
 * read from the dev mailbox) and TRUST_PROXY=true, since each address is probed from its own
 * X-Forwarded-For address (or RATE_LIMITS_ENABLED=false). Timings per route are printed for a look;
 * they are not judged.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/** Sends one request to the API, from the client address `ip`; `path` is under /api/v1. */
export type Send = (method: 'GET' | 'POST', path: string, body: unknown, ip: string) => Promise<Response>;

export interface ProbeOptions {
  /** Addresses with an account, and as many without. */
  count: number;
  /** Awaited before the mailbox is read (the in-process app can wait for its background emails). */
  emailsSent?: () => Promise<void>;
}

interface Step {
  route: string;
  /** The request for one address; `wrong` is a six-digit code no email to that address carried. */
  body: (email: string, wrong: string) => unknown;
}

const NEW_PASSWORD = 'a new password nobody knows';

/** Every address gets these, in order. */
export const STEPS: Step[] = [
  { route: '/auth/password/forgot', body: (email) => ({ email }) },
  { route: '/auth/password/forgot', body: (email) => ({ email }) },
  ...Array.from({ length: 6 }, () => ({
    route: '/auth/password/reset',
    body: (email: string, wrong: string) => ({ email, code: wrong, newPassword: NEW_PASSWORD }),
  })),
  ...Array.from({ length: 6 }, () => ({
    route: '/auth/otp/verify',
    body: (email: string, wrong: string) => ({ email, code: wrong }),
  })),
  { route: '/auth/otp/resend', body: (email) => ({ email }) },
  { route: '/auth/otp/resend', body: (email) => ({ email }) },
  { route: '/auth/otp/verify', body: (email, wrong) => ({ email, code: wrong }) },
];

export interface Answer {
  status: number;
  /** Status, headers but the request id (and Date), and the body bytes, as one comparable text. */
  canonical: string;
  body: string;
}

export interface ProbeResult {
  /** The answers of the first address, step by step: what every other address must have had. */
  reference: Answer[];
  /** Steps where some address got another answer, with the addresses per distinct answer. */
  mismatches: { step: number; route: string; answers: Record<string, string[]> }[];
  /** Milliseconds per route and kind of address, for a look. */
  timings: Record<string, { existing: number[]; unknown: number[] }>;
  addresses: { existing: string[]; unknown: string[] };
}

const IGNORED_HEADERS = new Set(['x-request-id', 'date']);

async function answerOf(response: Response): Promise<Answer> {
  const body = await response.text();
  const headers = [...response.headers]
    .filter(([name]) => !IGNORED_HEADERS.has(name.toLowerCase()))
    .map(([name, value]) => `${name.toLowerCase()}: ${value}`)
    .sort();
  return {
    status: response.status,
    body,
    canonical: [String(response.status), ...headers, '', body].join('\n'),
  };
}

let ipCounter = 0;
const nextIp = (): string => {
  ipCounter++;
  return `198.18.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
};

const expectStatus = async (response: Response, status: number, what: string): Promise<Response> => {
  if (response.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${response.status} ${await response.text()}`);
  }
  return response;
};

/** Every six-digit code emailed to the address so far (read from the dev mailbox). */
async function codesSentTo(send: Send, options: ProbeOptions, email: string): Promise<Set<string>> {
  await options.emailsSent?.();
  const res = await expectStatus(
    await send('GET', `/dev/mailbox?to=${encodeURIComponent(email)}`, undefined, nextIp()),
    200,
    'read the dev mailbox',
  );
  const { messages } = (await res.json()) as { messages: { text: string }[] };
  return new Set(messages.flatMap((m) => m.text.match(/\b\d{6}\b/g) ?? []));
}

/** The smallest six-digit code not emailed to the address: a wrong code, for certain. */
async function wrongCodeFor(send: Send, options: ProbeOptions, email: string): Promise<string> {
  const sent = await codesSentTo(send, options, email);
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, '0');
    if (!sent.has(code)) return code;
  }
}

async function makeAccounts(send: Send, options: ProbeOptions, run: string): Promise<string[]> {
  const emails: string[] = [];
  for (let i = 0; i < options.count; i++) {
    const email = `probe.${run}.known${i}@example.test`;
    await expectStatus(
      await send(
        'POST',
        '/auth/signup',
        { name: `Probe ${i}`, email, password: 'probe password 123', role: 'patient' },
        nextIp(),
      ),
      201,
      'signup',
    );
    // Half verify their email; the other half stay just signed up, with a live code.
    if (i % 2 === 0) {
      const [code] = await codesSentTo(send, options, email);
      await expectStatus(
        await send('POST', '/auth/otp/verify', { email, code }, nextIp()),
        200,
        'verify the email',
      );
    }
    emails.push(email);
  }
  return emails;
}

/** Runs the probe through `send`; see the file's header. */
export async function probeEnumeration(send: Send, options: ProbeOptions): Promise<ProbeResult> {
  const run = crypto.randomUUID().slice(0, 8);
  const existing = await makeAccounts(send, options, run);
  const unknown = Array.from({ length: options.count }, (_, i) => `probe.${run}.unknown${i}@example.test`);
  // Interleaved, so nothing that changes with time or order favours one kind.
  const targets = existing.flatMap((email, i) => [
    { email, kind: 'existing' as const },
    { email: unknown[i]!, kind: 'unknown' as const },
  ]);
  const answers = new Map<string, Answer[]>();
  const timings: ProbeResult['timings'] = {};
  for (const { email, kind } of targets) {
    const ip = nextIp();
    const list: Answer[] = [];
    for (const step of STEPS) {
      const wrong = await wrongCodeFor(send, options, email);
      const started = performance.now();
      const response = await send('POST', step.route, step.body(email, wrong), ip);
      const answer = await answerOf(response);
      const elapsed = performance.now() - started;
      timings[step.route] ??= { existing: [], unknown: [] };
      timings[step.route]![kind].push(elapsed);
      list.push(answer);
    }
    answers.set(email, list);
  }
  const reference = answers.get(targets[0]!.email)!;
  const mismatches: ProbeResult['mismatches'] = [];
  STEPS.forEach((step, index) => {
    const byAnswer: Record<string, string[]> = {};
    for (const [email, list] of answers) {
      const canonical = list[index]!.canonical;
      byAnswer[canonical] = [...(byAnswer[canonical] ?? []), email];
    }
    if (Object.keys(byAnswer).length > 1)
      mismatches.push({ step: index, route: step.route, answers: byAnswer });
  });
  return { reference, mismatches, timings, addresses: { existing, unknown } };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

/** Builds the app in-process on an in-memory store with a frozen clock; returns its `send` and closer. */
async function inProcess(): Promise<{
  send: Send;
  emailsSent: () => Promise<void>;
  close: () => Promise<void>;
}> {
  const { createApp } = await import('../src/app.ts');
  const { loadConfig } = await import('../src/config.ts');
  const { buildContainer } = await import('../src/container.ts');
  const { ManualClock } = await import('../src/shared/clock.ts');
  const { createMemoryLogger } = await import('../src/shared/logger.ts');
  const dataDir = mkdtempSync(join(tmpdir(), 'hv-probe-'));
  const config = loadConfig({
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
    DATABASE_URL: 'sqlite::memory:',
    JWT_SECRET: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url'),
    TRUST_PROXY: 'true',
    LOG_LEVEL: 'silent',
  });
  const container = await buildContainer(config, {
    clock: new ManualClock(new Date()),
    logger: createMemoryLogger(),
  });
  const app = createApp(container);
  return {
    send: (method, path, body, ip) =>
      app.handle(
        new Request(`http://localhost/api/v1${path}`, {
          method,
          headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }),
      ),
    emailsSent: () => container.outboxDeliverer.settled(),
    close: async () => {
      await container.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { url: { type: 'string' }, count: { type: 'string', default: '20' } },
    strict: true,
  });
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 1) {
    console.error('--count must be a positive integer');
    return 64;
  }
  let target: { send: Send; emailsSent?: () => Promise<void>; close: () => Promise<void> };
  if (values.url) {
    const base = values.url.replace(/\/+$/, '');
    target = {
      send: (method, path, body, ip) =>
        fetch(`${base}/api/v1${path}`, {
          method,
          headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }),
      close: async () => {},
    };
  } else target = await inProcess();
  try {
    const result = await probeEnumeration(target.send, {
      count,
      ...(target.emailsSent ? { emailsSent: target.emailsSent } : {}),
    });
    console.log(`${count} addresses with an account, ${count} without, ${STEPS.length} requests each`);
    for (const [index, step] of STEPS.entries()) {
      const answer = result.reference[index]!;
      console.log(
        `  ${String(index + 1).padStart(2)} ${step.route.padEnd(22)} ${answer.status} ${answer.body}`,
      );
    }
    for (const [route, { existing, unknown }] of Object.entries(result.timings)) {
      console.log(
        `  median ${route.padEnd(22)} existing ${median(existing).toFixed(2)} ms, unknown ${median(unknown).toFixed(2)} ms`,
      );
    }
    if (result.mismatches.length === 0) {
      console.log('every answer was byte-identical apart from the request id');
      return 0;
    }
    for (const mismatch of result.mismatches) {
      console.log(`step ${mismatch.step + 1} (${mismatch.route}) answered differently:`);
      for (const [answer, emails] of Object.entries(mismatch.answers)) {
        console.log(
          `  ${emails.length} address(es), e.g. ${emails[0]}:\n    ${answer.replaceAll('\n', '\n    ')}`,
        );
      }
    }
    return 1;
  } finally {
    await target.close();
  }
}

if (import.meta.main) process.exit(await main());
