import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { ERROR_CODES } from '../../src/shared/error-codes.ts';
import { buildTestApp, type TestApp } from '../support/app.ts';

// biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is walked as plain JSON
type Json = Record<string, any>;
type ApiDocument = Exclude<Parameters<typeof SwaggerParser.validate>[0], string>;

let t: TestApp;
let doc: Json;
beforeAll(async () => {
  t = await buildTestApp();
  doc = (await t.call('GET', '/api-docs/json')).body;
});
afterAll(() => t.close());

const operations = (): [string, string, Json][] =>
  Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json).map(([method, op]): [string, string, Json] => [method, path, op]),
  );
const codesOf = (response: Json): string[] =>
  response.content?.['application/json']?.schema?.properties?.error?.properties?.code?.enum ?? [];

/** Every object anywhere in `value`, itself included. */
function collect(value: unknown, found: Json[] = []): Json[] {
  if (Array.isArray(value)) for (const item of value) collect(item, found);
  else if (value !== null && typeof value === 'object') {
    found.push(value as Json);
    for (const item of Object.values(value)) collect(item, found);
  }
  return found;
}

describe('the OpenAPI document is valid', () => {
  test('@apidevtools/swagger-parser validates it as OpenAPI 3.1', async () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    await SwaggerParser.validate(structuredClone(doc) as ApiDocument);
  });

  test('@redocly/openapi-core (recommended rules) finds no errors', async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({
      source: JSON.stringify(doc),
      absoluteRef: 'openapi.json',
      config,
    });
    const errors = problems
      .filter((p) => p.severity === 'error')
      .map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`);
    expect(errors).toEqual([]);
  });

  test('a broken document does fail the validator', async () => {
    const broken = structuredClone(doc);
    delete broken.paths['/health'].get.responses['200'].description;
    await expect(SwaggerParser.validate(broken as ApiDocument)).rejects.toThrow(/description/);
  });
});

describe('the document is a contract a client can be generated from', () => {
  test('every operation has a summary and a description; every response a description of its own', () => {
    for (const [method, path, op] of operations()) {
      const where = `${method} ${path}`;
      expect({ where, summary: typeof op.summary }).toEqual({ where, summary: 'string' });
      expect({ where, description: op.description?.length > 10 }).toEqual({ where, description: true });
      for (const [status, response] of Object.entries(op.responses as Json)) {
        expect({ where, status, generic: /^Response for status/.test(response.description) }).toEqual({
          where,
          status,
          generic: false,
        });
      }
    }
  });

  test('every error response lists its codes, each with its meaning, all of that status', () => {
    for (const [method, path, op] of operations()) {
      for (const [status, response] of Object.entries(op.responses as Json)) {
        if (Number(status) < 400) continue;
        const codes = codesOf(response);
        expect({ where: `${method} ${path} ${status}`, some: codes.length > 0 }).toMatchObject({
          some: true,
        });
        for (const code of codes) {
          expect(ERROR_CODES[code as keyof typeof ERROR_CODES]?.status as number).toBe(Number(status));
          expect(response.description).toContain(`\`${code}\``);
        }
      }
    }
  });

  test('the codes of the issue are where a client meets them', () => {
    const codes = (method: string, path: string, status: number) =>
      codesOf(doc.paths[path][method].responses[String(status)]);
    expect(codes('post', '/api/v1/auth/signup', 409)).toEqual(['EMAIL_TAKEN']);
    expect(codes('post', '/api/v1/auth/signup', 415)).toEqual([
      'UNSUPPORTED_MEDIA_TYPE',
      'UNSUPPORTED_IMAGE',
    ]);
    expect(codes('post', '/api/v1/auth/otp/verify', 422)).toEqual(
      expect.arrayContaining(['OTP_INVALID', 'OTP_EXPIRED', 'OTP_LOCKED', 'VALIDATION_FAILED']),
    );
    expect(doc.paths['/api/v1/auth/otp/verify'].post.responses['422'].description).toContain('attemptsLeft');
    expect(codes('post', '/api/v1/auth/refresh', 401)).toEqual([
      'INVALID_REFRESH_TOKEN',
      'REFRESH_TOKEN_REUSED',
    ]);
    expect(codes('get', '/api/v1/me', 401)).toEqual([
      'UNAUTHORIZED',
      'INVALID_TOKEN',
      'TOKEN_EXPIRED',
      'SESSION_REVOKED',
    ]);
    expect(codes('post', '/api/v1/auth/login', 429)).toEqual(['RATE_LIMITED']);
    expect(codes('post', '/api/v1/doctors/me/slots', 403)).toEqual(['FORBIDDEN', 'DOCTOR_NOT_APPROVED']);
    expect(codes('post', '/api/v1/appointments', 409)).toEqual([
      'SLOT_UNAVAILABLE',
      'TOO_MANY_HOLDS',
      'IDEMPOTENCY_KEY_IN_PROGRESS',
    ]);
  });

  test('routes that take a body document 413 and 415; secured routes their 401 codes', () => {
    for (const [method, path, op] of operations()) {
      const where = `${method} ${path}`;
      if (['post', 'put', 'patch', 'delete'].includes(method)) {
        expect({ where, codes: codesOf(op.responses['413'] ?? {}) }).toMatchObject({
          codes: expect.arrayContaining(['PAYLOAD_TOO_LARGE']),
        });
        expect({ where, codes: codesOf(op.responses['415'] ?? {}) }).toMatchObject({
          codes: expect.arrayContaining(['UNSUPPORTED_MEDIA_TYPE']),
        });
      }
      // Logout takes an optional bearer ([{}, bearer]): a bad one is ignored, so it answers no 401.
      if (op.security?.length && !op.security.some((s: Json) => Object.keys(s).length === 0)) {
        expect({ where, codes: codesOf(op.responses['401'] ?? {}) }).toMatchObject({
          codes: expect.arrayContaining(['UNAUTHORIZED', 'TOKEN_EXPIRED', 'SESSION_REVOKED']),
        });
      } else if (!op.security?.length)
        expect({ where, security: op.security }).toEqual({ where, security: [] });
    }
  });

  test('response headers: X-Request-Id on every answer, Retry-After on 429, Idempotent-Replayed on a hold', () => {
    for (const [method, path, op] of operations()) {
      for (const [status, response] of Object.entries(op.responses as Json)) {
        expect({
          where: `${method} ${path} ${status}`,
          id: response.headers?.['X-Request-Id']?.required,
        }).toMatchObject({
          id: true,
        });
        if (status === '429') expect(response.headers['Retry-After'].required).toBe(true);
      }
    }
    const hold = doc.paths['/api/v1/appointments'].post.responses;
    expect(hold['201'].headers['Idempotent-Replayed'].schema).toEqual({ type: 'string', enum: ['true'] });
    expect(hold['409'].headers['Retry-After'].required).toBe(false);
  });

  test('every empty answer (204) is documented, with a description and no content', () => {
    const empties = operations().filter(([, , op]) => op.responses['204']);
    expect(empties.map(([m, p]) => `${m} ${p}`)).toEqual(
      expect.arrayContaining([
        'post /api/v1/auth/logout',
        'post /api/v1/auth/password/reset',
        'delete /api/v1/doctors/me/slots/{slotId}',
      ]),
    );
    for (const [, , op] of empties) {
      expect(op.responses['204'].description.length).toBeGreaterThan(5);
      expect(op.responses['204'].content).toBeUndefined();
    }
  });

  test('request types are only those a route takes', () => {
    const types = (method: string, path: string) =>
      Object.keys(doc.paths[path][method].requestBody.content).sort();
    expect(types('post', '/api/v1/auth/signup')).toEqual(['application/json', 'multipart/form-data']);
    const signup = doc.paths['/api/v1/auth/signup'].post.requestBody.content;
    expect(signup['application/json'].schema.properties.avatar).toBeUndefined();
    expect(signup['multipart/form-data'].schema.properties.avatar.format).toBe('binary');
    expect(types('put', '/api/v1/me/avatar')).toEqual(['multipart/form-data']);
    expect(types('post', '/api/v1/reports')).toEqual(['multipart/form-data']);
    expect(types('post', '/api/v1/admin/doctors/{id}/reject')).toEqual(['application/json']);
    expect(doc.paths['/api/v1/admin/doctors/{id}/reject'].post.requestBody.required).toBe(false);
    for (const [method, path, op] of operations()) {
      if (
        !op.requestBody ||
        path.endsWith('/signup') ||
        path.endsWith('/avatar') ||
        path === '/api/v1/reports'
      )
        continue;
      expect({ where: `${method} ${path}`, types: Object.keys(op.requestBody.content) }).toMatchObject({
        types: ['application/json'],
      });
    }
  });

  test('integers are integers and enums are enums, everywhere', () => {
    const schemas = collect(doc.paths);
    const textNumbers = schemas.filter((s) => s.type === 'string' && /^(integer|numeric)$/.test(s.format));
    expect(textNumbers).toEqual([]);
    const constUnions = schemas.filter(
      (s) => Array.isArray(s.anyOf) && s.anyOf.every((b: Json) => b && 'const' in b),
    );
    expect(constUnions).toEqual([]);
    const doctor = doc.paths['/api/v1/doctors/{id}'].get.responses['200'].content['application/json'].schema;
    expect(doctor.properties.doctor.properties.consultationFeePaise.type).toBe('integer');
    const hold = doc.paths['/api/v1/appointments'].post.responses['201'].content['application/json'].schema;
    expect(hold.properties.appointment.properties.feePaise.type).toBe('integer');
    expect(hold.properties.appointment.properties.status.enum).toEqual([
      'pending_payment',
      'confirmed',
      'expired',
      'cancelled',
    ]);
    const limit = doc.paths['/api/v1/doctors'].get.parameters.find((p: Json) => p.name === 'limit');
    expect(limit.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 100 });
  });

  test("the checkout's walletPaise says what the server accepts: at least 1, at most the fee less 100", async () => {
    const body = doc.paths['/api/v1/payments/checkout'].post.requestBody.content['application/json'].schema;
    const walletPaise = body.properties.walletPaise;
    expect(walletPaise).toMatchObject({ type: 'integer', minimum: 1 });
    expect(walletPaise.description).toContain('fee less 100');
  });
});
