import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvSchema, loadConfig } from '../../src/config.ts';

const text = readFileSync(join(import.meta.dir, '../../.env.example'), 'utf8');

/** `NAME=value` lines are set, `# NAME=value` lines document a variable that is unset by default. */
const entries = text.split('\n').flatMap((line) => {
  const match = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
  if (!match) return [];
  const value = match[3]!.replace(/^"(.*)"$/, '$1');
  return [{ name: match[2]!, value, set: !match[1] }];
});

const dataDir = mkdtempSync(join(tmpdir(), 'hv-env-example-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('.env.example', () => {
  test('lists every configuration variable, once', () => {
    const listed = entries.map((entry) => entry.name);
    expect([...listed].sort()).toEqual(Object.keys(EnvSchema.properties).sort());
  });

  test('every value it sets is the default', () => {
    for (const { name, value } of entries.filter((entry) => entry.set)) {
      const schema = EnvSchema.properties[name as keyof typeof EnvSchema.properties] as { default?: unknown };
      expect({ name, value }).toEqual({ name, value: String(schema.default) });
    }
  });

  test('copied to .env as it is, it loads', () => {
    const values = Object.fromEntries(entries.filter((e) => e.set).map((e) => [e.name, e.value]));
    const config = loadConfig({ ...values, DATA_DIR: dataDir });
    expect(config.PORT).toBe(3000);
    expect(config.EMAIL_FROM).toBe('HealthVision <no-reply@healthvision.local>');
  });
});
