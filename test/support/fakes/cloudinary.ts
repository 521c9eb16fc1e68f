import { createHash } from 'node:crypto';

/**
 * A loopback stand-in for Cloudinary's upload API (https://cloudinary.com/documentation/image_upload_api_reference):
 * `POST /v1_1/<cloud>/<resource>/upload` and `/destroy` (multipart or form fields), and the signed
 * `GET /v1_1/<cloud>/<resource>/download` that `private_download_url` builds. Every request's signature
 * is recomputed as Cloudinary does (the parameters but file, api_key, resource_type and cloud_name,
 * sorted, `k=v` joined by `&`, the secret appended, SHA-1) and a wrong one is refused with 401; a
 * download past its `expires_at` is refused too.
 */
export interface CloudinaryFake {
  url: string;
  cloudName: string;
  apiKey: string;
  apiSecret: string;
  /** What is stored, by public id. */
  assets: Map<string, { bytes: Uint8Array; type: string; format: string }>;
  /** Every request, refused ones included, with its fields (never the file). */
  received: Array<{ action: string; fields: Record<string, string>; status: number }>;
  /** The next `count` uploads answer 500. */
  failUploads(count: number): void;
  /** Seconds since the epoch as the fake sees them (to test expiry). */
  now: () => number;
  setNow(seconds: number): void;
  stop(): Promise<void>;
}

const UNSIGNED = new Set(['file', 'api_key', 'resource_type', 'cloud_name', 'signature']);

export function signatureOf(fields: Record<string, string>, secret: string): string {
  const toSign = Object.entries(fields)
    .filter(([key, value]) => !UNSIGNED.has(key) && value !== '')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${value}`.replace(/&/g, '%26'))
    .join('&');
  return createHash('sha1')
    .update(toSign + secret)
    .digest('hex');
}

export function startCloudinaryFake(): CloudinaryFake {
  const cloudName = 'hv-test-cloud';
  const apiKey = '123456789012345';
  const apiSecret = `secret-${crypto.randomUUID()}`;
  const assets: CloudinaryFake['assets'] = new Map();
  const received: CloudinaryFake['received'] = [];
  let uploadFailures = 0;
  let nowOverride: number | null = null;
  const now = () => nowOverride ?? Math.floor(Date.now() / 1000);

  const error = (status: number, message: string) => Response.json({ error: { message } }, { status });

  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(request) {
      const url = new URL(request.url);
      const match = /^\/v1_1\/([^/]+)\/(image|raw)\/(upload|destroy|download)$/.exec(url.pathname);
      if (!match || match[1] !== cloudName) return error(404, 'Not found');
      const action = match[3]!;
      const fields: Record<string, string> = {};
      let fileField: string | Blob | null = null;
      if (request.method === 'GET') {
        for (const [key, value] of url.searchParams) fields[key] = value;
      } else {
        const form = await request.formData();
        for (const [key, value] of form) {
          if (key === 'file') fileField = value;
          else fields[key] = String(value);
        }
      }
      const answer = (response: Response) => {
        received.push({ action, fields, status: response.status });
        return response;
      };
      if (fields.api_key !== apiKey) return answer(error(401, 'Invalid api_key'));
      if (fields.signature !== signatureOf(fields, apiSecret)) return answer(error(401, 'Invalid Signature'));
      const publicId = fields.public_id ?? '';

      if (action === 'upload') {
        if (uploadFailures > 0) {
          uploadFailures--;
          return answer(error(500, 'General Error'));
        }
        if (typeof fileField !== 'string' || !fileField.startsWith('data:')) {
          return answer(error(400, 'Expected a data URI'));
        }
        const [, mime, data] = /^data:([^;]+);base64,(.*)$/s.exec(fileField) ?? [];
        if (!mime || data === undefined) return answer(error(400, 'Invalid data URI'));
        if (assets.has(publicId) && (fields.overwrite === 'false' || fields.overwrite === '0'))
          return answer(error(400, 'Already exists'));
        const format =
          mime === 'application/pdf' ? 'pdf' : mime.split('/')[1] === 'jpeg' ? 'jpg' : mime.split('/')[1]!;
        assets.set(publicId, {
          bytes: new Uint8Array(Buffer.from(data, 'base64')),
          type: fields.type ?? 'upload',
          format,
        });
        return answer(
          Response.json({
            public_id: publicId,
            version: 1,
            resource_type: match[2],
            type: fields.type ?? 'upload',
            format,
            bytes: assets.get(publicId)!.bytes.byteLength,
          }),
        );
      }
      if (action === 'destroy') {
        const found = assets.get(publicId);
        if (!found || found.type !== fields.type) return answer(Response.json({ result: 'not found' }));
        assets.delete(publicId);
        return answer(Response.json({ result: 'ok' }));
      }
      // download
      if (!fields.expires_at || Number(fields.expires_at) < now()) return answer(error(401, 'URL expired'));
      const found = assets.get(publicId);
      if (!found || found.type !== fields.type) return answer(error(404, 'Resource not found'));
      return answer(new Response(found.bytes, { headers: { 'content-type': 'application/octet-stream' } }));
    },
  });

  return {
    url: `http://127.0.0.1:${server.port}`,
    cloudName,
    apiKey,
    apiSecret,
    assets,
    received,
    failUploads: (count) => {
      uploadFailures = count;
    },
    now,
    setNow: (seconds) => {
      nowOverride = seconds;
    },
    stop: () => server.stop(true),
  };
}
