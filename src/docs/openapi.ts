import { swagger } from '@elysiajs/swagger';
// Served by the app itself (also from the compiled binary) so the docs page renders with no internet.
import scalarBundle from '@scalar/api-reference/browser/standalone.js' with { type: 'file' };
import { Elysia } from 'elysia';
import packageJson from '../../package.json' with { type: 'json' };

const ASSET_PATH = '/api-docs/assets/scalar.js';

export const openApiDocs = () =>
  new Elysia({ name: 'openapi-docs' })
    .get(
      ASSET_PATH,
      ({ set }) => {
        set.headers['content-type'] = 'text/javascript; charset=utf-8';
        set.headers['cache-control'] = 'public, max-age=86400';
        return Bun.file(scalarBundle);
      },
      { detail: { hide: true } },
    )
    .use(
      swagger({
        path: '/api-docs',
        specPath: '/api-docs/json',
        scalarCDN: ASSET_PATH,
        scalarConfig: { withDefaultFonts: false, hideDownloadButton: false },
        exclude: ['/api-docs', '/api-docs/json', ASSET_PATH],
        documentation: {
          info: {
            title: 'HealthVision API',
            version: packageJson.version,
            description:
              'Telehealth backend. Today: accounts (sign-up with an emailed code, sign-in, sessions, password reset), profiles and pictures, admin review of doctors, the doctor directory and its specialties, doctors\' time slots and weekly schedules, and appointment holds (a slot kept for a patient for a set time). Errors share one envelope: `{ "error": { "code", "message", "details"? } }`.',
          },
          components: {
            securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
          },
          tags: [
            { name: 'System', description: 'Liveness and readiness' },
            { name: 'Auth', description: 'Sign-up, email codes, sign-in, sessions and password reset' },
            { name: 'Profile', description: 'The signed-in user: profile and picture' },
            { name: 'Admin', description: 'Doctor review (admins only)' },
            { name: 'Doctors', description: "The doctor directory and doctors' own time slots" },
            { name: 'Appointments', description: 'Booking holds: hold a slot while paying, read, cancel' },
            { name: 'Dev', description: 'Development helpers: the dev mailbox and dev avatar files' },
          ],
        },
      }),
    );
