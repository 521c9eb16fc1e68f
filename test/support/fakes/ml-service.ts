/**
 * A loopback ML service following our documented contract (docs/reports.md, src/providers/ml/http.ts):
 * `POST /analyze` and `POST /chat` with `Authorization: Bearer <key>`. It can be healthy, slow (answers
 * after a delay), down (503), malformed (200 with a body that breaks the schema) or refusing (422 NO_TEXT).
 */
export type MlMode = 'ok' | 'slow' | 'down' | 'malformed' | 'no_text';

export interface MlServiceFake {
  url: string;
  apiKey: string;
  mode: MlMode;
  slowMs: number;
  received: Array<{ path: string; authorization: string | null; body: Record<string, unknown> }>;
  /** What fetching each signed file URL it was sent gave: its status and size. */
  fetched: Array<{ url: string; status: number; bytes: number }>;
  stop(): Promise<void>;
}

export const FAKE_FINDINGS = [
  {
    name: 'Hemoglobin',
    value: 11.1,
    unit: 'g/dL',
    referenceRange: { low: 12, high: 16, source: 'report' },
    flag: 'low',
  },
  {
    name: 'TSH',
    value: 2.1,
    unit: 'mIU/L',
    referenceRange: { low: 0.4, high: 4, source: 'report' },
    flag: 'normal',
  },
];

export function startMlServiceFake(): MlServiceFake {
  const fake: MlServiceFake = {
    url: '',
    apiKey: `ml-key-${crypto.randomUUID()}`,
    mode: 'ok',
    slowMs: 2000,
    received: [],
    fetched: [],
    stop: async () => {},
  };
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(request) {
      const { pathname } = new URL(request.url);
      const body = (await request.json().catch(() => ({}))) as Record<string, unknown>;
      fake.received.push({ path: pathname, authorization: request.headers.get('authorization'), body });
      if (request.headers.get('authorization') !== `Bearer ${fake.apiKey}`) {
        return Response.json({ error: { code: 'UNAUTHORIZED' } }, { status: 401 });
      }
      if (fake.mode === 'down') return Response.json({ error: 'unavailable' }, { status: 503 });
      if (fake.mode === 'slow') await Bun.sleep(fake.slowMs);
      if (fake.mode === 'malformed') return Response.json({ findings: 'many', summary: 42 });
      if (pathname === '/analyze') {
        if (fake.mode === 'no_text') return Response.json({ error: { code: 'NO_TEXT' } }, { status: 422 });
        const url = (body.report as { url?: string } | undefined)?.url;
        if (url) {
          const file = await fetch(url);
          fake.fetched.push({ url, status: file.status, bytes: (await file.arrayBuffer()).byteLength });
          if (!file.ok) return Response.json({ error: 'could not read the file' }, { status: 502 });
        }
        return Response.json({
          summary: 'Hemoglobin is a little low; TSH is normal.',
          findings: FAKE_FINDINGS,
        });
      }
      if (pathname === '/chat') {
        return Response.json({
          text: 'Your hemoglobin is 11.1 g/dL, a little below the range 12-16 g/dL.',
          citations: ['Hemoglobin', 'Some Other Report Value'],
          disclaimer: 'Not medical advice.',
        });
      }
      return Response.json({ error: 'not found' }, { status: 404 });
    },
  });
  fake.url = `http://127.0.0.1:${server.port}`;
  fake.stop = () => server.stop(true);
  return fake;
}
