// Served by the app itself (also from the compiled binary) so the docs page renders with no internet.
import scalarBundle from '@scalar/api-reference/browser/standalone.js' with { type: 'file' };
import { Elysia } from 'elysia';
import packageJson from '../../package.json' with { type: 'json' };
import { buildDocument } from './document.ts';

const PAGE_PATH = '/api-docs';
const SPEC_PATH = '/api-docs/json';
const ASSET_PATH = '/api-docs/assets/scalar.js';

const DOCUMENT_BASE = {
  info: {
    title: 'HealthVision API',
    version: packageJson.version,
    description:
      'Telehealth backend. Today: accounts (sign-up with an emailed code, sign-in, sessions, password reset), ' +
      "profiles and pictures, admin review of doctors, the doctor directory and its specialties, doctors' time " +
      'slots and weekly schedules, appointment holds (a slot kept for a patient for a set time), payments that ' +
      'confirm them (Razorpay, the wallet ledger, or both) with an audit, cancellation with refunds, rescheduling, ' +
      'calendar invites and reminders, medical reports (private upload, ' +
      'analysis into lab findings, a chat over them, sharing with the doctor), video consultations (call tickets, ' +
      'TURN credentials, a WebSocket signaling relay at `/ws/signaling`; its messages are in docs/video-calls.md), ' +
      'and an email outbox admins can watch. Errors share one envelope: `{ "error": { "code", "message", "details"? } }`; ' +
      'each operation lists the codes it can answer. Every answer carries `X-Request-Id`.',
  },
  servers: [{ url: '/', description: 'This server' }],
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
  },
  tags: [
    { name: 'System', description: 'Liveness and readiness' },
    { name: 'Auth', description: 'Sign-up, email codes, sign-in, sessions and password reset' },
    { name: 'Profile', description: 'The signed-in user: profile and picture' },
    { name: 'Admin', description: 'Doctor review, the email outbox, payments and their audit (admins only)' },
    { name: 'Doctors', description: "The doctor directory, its specialties and doctors' own time slots" },
    {
      name: 'Appointments',
      description: 'Hold a slot while paying, read, cancel with refunds, reschedule, the calendar invite',
    },
    {
      name: 'Reports',
      description:
        'Medical reports: upload, analysis, the original file, sharing with a doctor, a chat over the findings',
    },
    {
      name: 'Consultations',
      description: 'Video calls: tickets, ICE servers, the signaling socket, records',
    },
    { name: 'Payments', description: 'Checkout (wallet, Razorpay, hybrid), verify, the webhook, receipts' },
    { name: 'Wallet', description: "A patient's wallet: amounts, ledger, top-ups" },
    { name: 'Dev', description: 'Development helpers: the dev mailbox, dev avatar files and dev payments' },
  ],
};

/**
 * Scalar, configured to reach no other host: no fonts from fonts.scalar.com, no request proxy, no
 * "Ask AI" agent (api.scalar.com through proxy.scalar.com), no cloud toolbar (Share, Deploy), no button
 * opening client.scalar.com. The spec URL is absolute, so `/api-docs/` works as well as `/api-docs`.
 */
const SCALAR_CONFIGURATION = {
  url: SPEC_PATH,
  withDefaultFonts: false,
  proxyUrl: '',
  agent: { disabled: true },
  showDeveloperTools: 'never',
  hideClientButton: true,
  telemetry: false,
  defaultOpenAllTags: true,
  hideDownloadButton: false,
};

// `<` is escaped so no value can close the script element. The mount point is not `#api-reference`: the
// bundle would also mount a second reference there, with the default (cloud) configuration.
const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${DOCUMENT_BASE.info.title} reference</title>
    <link rel="icon" href="data:," />
  </head>
  <body>
    <div id="reference"></div>
    <script src="${ASSET_PATH}"></script>
    <script>
      Scalar.createApiReference('#reference', ${JSON.stringify(SCALAR_CONFIGURATION).replaceAll('<', '\\u003c')});
    </script>
  </body>
</html>
`;

/** The API reference: the page at /api-docs (and /api-docs/), the OpenAPI 3.1 document at /api-docs/json. */
export const openApiDocs = () => {
  const plugin = new Elysia({ name: 'openapi-docs' });
  let document: object | undefined;
  return plugin
    .get(
      ASSET_PATH,
      ({ set }) => {
        set.headers['content-type'] = 'text/javascript; charset=utf-8';
        set.headers['cache-control'] = 'public, max-age=86400';
        return Bun.file(scalarBundle);
      },
      { detail: { hide: true } },
    )
    .get(PAGE_PATH, () => new Response(PAGE, { headers: { 'content-type': 'text/html; charset=utf-8' } }), {
      detail: { hide: true },
    })
    .get(
      SPEC_PATH,
      () => {
        // Built once, on the first request: by then every route of the app is registered.
        document ??= buildDocument(plugin, DOCUMENT_BASE, [PAGE_PATH, SPEC_PATH, ASSET_PATH]);
        return document;
      },
      { detail: { hide: true } },
    );
};
