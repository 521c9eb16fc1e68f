import { afterAll, beforeAll, describe, expect, mock, test } from 'bun:test';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildTestApp, type TestApp } from '../support/app.ts';

// biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is edited as plain JSON
type Json = Record<string, any>;

const root = join(import.meta.dir, '..', '..');
const workdir = join(root, '.tmp', `typed-client-${crypto.randomUUID().slice(0, 8)}`);

/** A small hand-written client over the generated `paths`, as a frontend would write one. */
const CLIENT = `import type { paths } from './api.ts';

type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : never;
type Ok<P extends keyof paths, M extends keyof paths[P], S extends number> = paths[P][M] extends {
  responses: infer R;
}
  ? S extends keyof R
    ? JsonOf<R[S]>
    : never
  : never;

export type SignupJson = paths['/api/v1/auth/signup']['post']['requestBody']['content']['application/json'];
export type TokenPair = Ok<'/api/v1/auth/login', 'post', 200>;
export type Doctor = Ok<'/api/v1/doctors/{id}', 'get', 200>['doctor'];
export type Appointment = Ok<'/api/v1/appointments', 'post', 201>['appointment'];
export type SignupConflict = Ok<'/api/v1/auth/signup', 'post', 409>['error']['code'];
export type VerifyRefusal = Ok<'/api/v1/auth/otp/verify', 'post', 422>['error']['code'];

export class Client {
  constructor(
    private readonly base: string,
    private token?: string,
  ) {}

  private async send<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.token) headers.authorization = \`Bearer \${this.token}\`;
    const res = await fetch(this.base + path, { method, headers, body: JSON.stringify(body) });
    return (await res.json()) as T;
  }

  async signup(body: SignupJson) {
    return this.send<Ok<'/api/v1/auth/signup', 'post', 201>>('POST', '/api/v1/auth/signup', body);
  }

  async login(email: string, password: string): Promise<TokenPair> {
    const pair = await this.send<TokenPair>('POST', '/api/v1/auth/login', { email, password });
    this.token = pair.accessToken;
    return pair;
  }

  doctor(id: string) {
    return this.send<Ok<'/api/v1/doctors/{id}', 'get', 200>>('GET', \`/api/v1/doctors/\${id}\`);
  }

  hold(slotId: string) {
    return this.send<Ok<'/api/v1/appointments', 'post', 201>>('POST', '/api/v1/appointments', { slotId });
  }
}

export const feeInRupees = (doctor: Doctor): number => doctor.consultationFeePaise / 100;
export const totalPaise = (holds: Appointment[]): number => holds.reduce((sum, a) => sum + a.feePaise, 0);
export const secondsLeft = (pair: TokenPair): number => pair.expiresIn;

export function label(status: Appointment['status']): string {
  switch (status) {
    case 'pending_payment':
      return 'awaiting payment';
    case 'confirmed':
      return 'booked';
    case 'expired':
    case 'cancelled':
      return 'closed';
    default: {
      const unknown: never = status;
      return unknown;
    }
  }
}

export const explain = (code: SignupConflict | VerifyRefusal): string =>
  code === 'EMAIL_TAKEN' ? 'sign in instead' : code === 'OTP_INVALID' ? 'check the code' : code;
`;

/** Misuses the document must rule out; each line must fail, or tsc reports the directive unused. */
const MISUSE = `import type { Appointment, Doctor, SignupConflict, SignupJson } from './client.ts';

declare const doctor: Doctor;
// @ts-expect-error the fee is integer paise, never text
export const feeText: string = doctor.consultationFeePaise;
// @ts-expect-error signup answers 409 only with EMAIL_TAKEN
export const conflict: SignupConflict = 'SLOT_UNAVAILABLE';
// @ts-expect-error no such appointment status
export const status: Appointment['status'] = 'paid';
// @ts-expect-error a role is patient or doctor
export const role: SignupJson['role'] = 'admin';
`;

let t: TestApp;
let served: Promise<Compiled>;
let loose: Promise<Compiled>;
beforeAll(async () => {
  t = await buildTestApp();
  const doc: Json = (await t.call('GET', '/api-docs/json')).body;
  // The same client against a document where a fee is Elysia's `t.Integer` as generated: string | number.
  const looseDoc = structuredClone(doc);
  const schema =
    looseDoc.paths['/api/v1/doctors/{id}'].get.responses['200'].content['application/json'].schema;
  schema.properties.doctor.properties.consultationFeePaise = {
    anyOf: [{ type: 'string', format: 'integer' }, { type: 'integer' }],
  };
  // Both compile at once; each test awaits its own.
  served = compileAgainst(doc, 'served');
  loose = compileAgainst(looseDoc, 'loose');
  await Promise.allSettled([served, loose]);
});
afterAll(async () => {
  rmSync(workdir, { recursive: true, force: true });
  await t.close();
});

interface Compiled {
  exitCode: number;
  output: string;
}

/** Generates `api.ts` from `document` with openapi-typescript's Node API, then runs tsc on the client. */
async function compileAgainst(document: Json, name: string): Promise<Compiled> {
  // openapi-typescript builds its output with the TypeScript 5 compiler API; TypeScript 7 (the repo's
  // tsc) has no JS API, so its imports of `typescript` are given TypeScript 5 here.
  const ts5 = await import('typescript5');
  mock.module('typescript', () => ({ ...ts5, default: ts5.default ?? ts5 }));
  const { default: openapiTS, astToString } = await import('openapi-typescript');
  const dir = join(workdir, name);
  mkdirSync(dir, { recursive: true });
  await Bun.write(
    join(dir, 'api.ts'),
    astToString(await openapiTS(structuredClone(document) as Parameters<typeof openapiTS>[0])),
  );
  await Bun.write(join(dir, 'client.ts'), CLIENT);
  await Bun.write(join(dir, 'misuse.ts'), MISUSE);
  await Bun.write(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: 'ESNext',
        module: 'Preserve',
        moduleResolution: 'bundler',
        lib: ['ESNext', 'DOM'],
        types: [],
        allowImportingTsExtensions: true,
      },
      files: ['api.ts', 'client.ts', 'misuse.ts'],
    }),
  );
  const tsc = Bun.spawn([join(root, 'node_modules', '.bin', 'tsc'), '-p', join(dir, 'tsconfig.json')], {
    cwd: root,
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(tsc.stdout).text(),
    new Response(tsc.stderr).text(),
    tsc.exited,
  ]);
  return { exitCode, output: stdout + stderr };
}

describe('a client typed from the OpenAPI document', () => {
  test('openapi-typescript types compile the client, and rule out its misuses', async () => {
    const result = await served;
    expect(result.output).toBe('');
    expect(result.exitCode).toBe(0);
  });

  test('it would not compile if a fee were documented as string | number', async () => {
    const result = await loose;
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain('client.ts');
  });
});
