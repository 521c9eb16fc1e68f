/**
 * Two headless Chromium pages (Debian's chromium through playwright-core) open /call, sign in as the
 * appointment's patient and doctor, join, and connect: connectionState "connected" with decoded remote
 * video frames. The second run forces relay-only through a real coturn on loopback, with the TURN
 * credentials of our ticket endpoint. Run with `npm run test:browser`.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { buildTestApp, type TestApp } from '../support/app.ts';
import { CALL_TEST_ENV, type ConfirmedCall, confirmedCall, listen } from '../support/calls.ts';
import type { CreatedUser } from '../support/factories.ts';

const CHROMIUM = '/usr/bin/chromium';
const TURNSERVER = '/usr/bin/turnserver';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Without it Chrome gathers no ICE candidates on loopback.
  '--allow-loopback-in-peer-connection',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
];

/** On a machine with another interface, only loopback candidates are kept, so the test stays on it. */
const LOOPBACK_ONLY = `(() => {
  const add = RTCPeerConnection.prototype.addIceCandidate;
  RTCPeerConnection.prototype.addIceCandidate = function (candidate, ...rest) {
    const text = candidate && candidate.candidate;
    if (text && !/ 127\\.0\\.0\\.1 /.test(text)) return Promise.resolve();
    return add.call(this, candidate, ...rest);
  };
})();`;

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});
afterAll(async () => {
  await browser?.close();
});

/** Every URL the pages asked for that is not the server's own (data: and blob: never leave the page). */
const foreignRequests: string[] = [];

async function openCall(
  base: string,
  query: string,
  user: CreatedUser,
  appointmentId: string,
): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith('data:') && !url.startsWith('blob:') && new URL(url).origin !== base) {
      foreignRequests.push(url);
    }
  });
  await page.addInitScript(LOOPBACK_ONLY);
  await page.goto(`${base}/call${query}`);
  await page.getByPlaceholder('Email').fill(user.email);
  await page.getByPlaceholder('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator(`button[data-appointment-id="${appointmentId}"]`).click();
  return page;
}

/** What a page's peer connection reached: its state, decoded frames, and the selected pair's candidate types. */
const callFacts = (page: Page) =>
  page.evaluate(async () => {
    // The page's own peer connection (`window.hvCall.pc`), typed only as far as read here.
    type Stats = { values(): Iterable<Record<string, unknown>> };
    const pc = (
      globalThis as unknown as {
        hvCall: { pc: { connectionState: string; getStats(): Promise<Stats> } | null };
      }
    ).hvCall.pc;
    if (!pc) return { state: 'none', framesDecoded: 0, local: '', remote: '' };
    const stats = [...(await pc.getStats()).values()] as Record<string, unknown>[];
    const inbound = stats.find((s) => s.type === 'inbound-rtp' && s.kind === 'video');
    const transport = stats.find((s) => s.type === 'transport');
    const pair = stats.find((s) => s.id === transport?.selectedCandidatePairId);
    const candidate = (id: unknown) => String(stats.find((s) => s.id === id)?.candidateType ?? '');
    return {
      state: pc.connectionState,
      framesDecoded: Number(inbound?.framesDecoded ?? 0),
      local: candidate(pair?.localCandidateId),
      remote: candidate(pair?.remoteCandidateId),
    };
  });

async function expectConnected(pages: Page[]): Promise<{ local: string; remote: string }[]> {
  const facts = [];
  for (const page of pages) {
    // Polled from here: the facts come from getStats, which is asynchronous.
    const deadline = Date.now() + 30_000;
    let seen = await callFacts(page);
    while ((seen.state !== 'connected' || seen.framesDecoded === 0) && Date.now() < deadline) {
      await page.waitForTimeout(200);
      seen = await callFacts(page);
    }
    if (seen.state !== 'connected') console.error(await page.locator('#status').textContent());
    expect(seen.state).toBe('connected');
    expect(seen.framesDecoded).toBeGreaterThan(0);
    facts.push(seen);
  }
  return facts;
}

async function runCall(t: TestApp, base: string, call: ConfirmedCall, query: string) {
  const patient = await openCall(base, query, call.patient, call.appointmentId);
  await patient.getByText('waiting for the other person').waitFor({ timeout: 10_000 });
  const doctor = await openCall(base, query, call.doctor, call.appointmentId);
  const facts = await expectConnected([patient, doctor]);
  await t.container.signalingHub.settled();
  const record = await t.call('GET', `/api/v1/consultations/${call.appointmentId}`, {
    token: call.doctor.accessToken,
  });
  expect(record.body.consultation.status).toBe('active');
  expect(record.body.consultation.participants.map((p: { role: string }) => p.role)).toEqual([
    'patient',
    'doctor',
  ]);
  await patient.context().close();
  await doctor.context().close();
  expect(foreignRequests).toEqual([]);
  return facts;
}

describe('a video call between two browsers', () => {
  test('patient and doctor join from /call and connect peer to peer, with decoded remote video', async () => {
    const t = await buildTestApp(CALL_TEST_ENV);
    try {
      const { base } = listen(t);
      const call = await confirmedCall(t);
      const facts = await runCall(t, base, call, '');
      for (const pair of facts) expect(pair.local).toBe('host');
    } finally {
      await t.app.stop(true);
      await t.close();
    }
  }, 60_000);

  test('relay only, through a real coturn on loopback with the credentials of the ticket endpoint', async () => {
    // No skipping: without coturn installed this test fails (.ci/run installs it).
    expect(Bun.which('turnserver') ?? TURNSERVER).toBe(TURNSERVER);
    const work = mkdtempSync(join(tmpdir(), 'hv-coturn-'));
    const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() });
    const turnPort = probe.port!;
    probe.stop(true);
    const secret = `coturn-${crypto.randomUUID()}`;
    const turnLog = join(work, 'turn.log');
    const coturn = Bun.spawn(
      [
        TURNSERVER,
        '-n',
        '--use-auth-secret',
        `--static-auth-secret=${secret}`,
        '--realm=healthvision',
        '--allow-loopback-peers',
        '--listening-ip=127.0.0.1',
        '--relay-ip=127.0.0.1',
        `--listening-port=${turnPort}`,
        '--min-port=49152',
        '--max-port=65535',
        '--no-tls',
        '--no-dtls',
        '--no-cli',
        `--pidfile=${join(work, 'turnserver.pid')}`,
        `--db=${join(work, 'turndb')}`,
        // The log file is written as it goes; its stdout copy is buffered.
        `--log-file=${turnLog}`,
        '--simple-log',
        '--verbose',
      ],
      { stdout: 'ignore', stderr: 'pipe' },
    );
    const logText = async () => ((await Bun.file(turnLog).exists()) ? Bun.file(turnLog).text() : '');
    /** coturn is ready once its log says its servers are up (polled: it is another process). */
    const ready = (async () => {
      for (let i = 0; i < 200; i++) {
        if ((await logText()).includes('Total General servers')) return;
        if (coturn.exitCode !== null) break;
        await Bun.sleep(50);
      }
      throw new Error(`coturn did not start (exit ${coturn.exitCode}):\n${await logText()}`);
    })();
    const t = await buildTestApp({
      ...CALL_TEST_ENV,
      TURN_URLS: `turn:127.0.0.1:${turnPort}?transport=udp`,
      TURN_SECRET: secret,
    });
    try {
      await ready;
      const { base } = listen(t);
      const call = await confirmedCall(t);
      const facts = await runCall(t, base, call, '?relay=1');
      for (const pair of facts) expect(pair).toMatchObject({ local: 'relay', remote: 'relay' });
      // coturn took our REST username (<expiry>:<userId>) for both people's allocations.
      const sessions = await logText();
      for (const user of [call.patient, call.doctor]) {
        expect(sessions).toMatch(
          new RegExp(`user <\\d+:${user.user.id}>: incoming packet ALLOCATE processed, success`),
        );
      }
    } finally {
      await t.app.stop(true);
      await t.close();
      coturn.kill();
      await coturn.exited;
      rmSync(work, { recursive: true, force: true });
    }
  }, 60_000);
});
