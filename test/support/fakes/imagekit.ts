/**
 * A loopback stand-in for ImageKit's HTTP API:
 * - `POST /api/v1/files/upload` (multipart: `file`, `fileName`, optional `folder`, `tags`,
 *   `useUniqueFileName`, ...) with HTTP Basic auth whose user name is the private key; answers the
 *   documented JSON (`fileId`, `name`, `url`, `thumbnailUrl`, `filePath`, `fileType`, `size`, ...).
 * - `DELETE /v1/files/:fileId` -> 204.
 */
export interface ReceivedUpload {
  authorization: string | null;
  /** The user-name half of the Basic credentials. */
  privateKey: string | null;
  fields: Record<string, string>;
  file: { name: string; type: string; bytes: Uint8Array } | null;
}

export interface ImageKitFake {
  url: string;
  urlEndpoint: string;
  uploads: ReceivedUpload[];
  deleted: string[];
  failNext(status: number, message: string): void;
  stop(): Promise<void>;
}

export function startImageKitFake(): ImageKitFake {
  const uploads: ReceivedUpload[] = [];
  const deleted: string[] = [];
  const urlEndpoint = 'https://ik.imagekit.io/healthvision-test';
  let failure: { status: number; message: string } | null = null;

  const credentials = (authorization: string | null): string | null => {
    if (!authorization?.startsWith('Basic ')) return null;
    const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
    return decoded.split(':')[0] ?? null;
  };

  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(request) {
      const { pathname } = new URL(request.url);
      const authorization = request.headers.get('authorization');
      const privateKey = credentials(authorization);
      if (!privateKey?.startsWith('private_')) {
        return Response.json({ message: 'Your request does not contain private API key.' }, { status: 401 });
      }
      if (failure) {
        const { status, message } = failure;
        failure = null;
        return Response.json(
          { message, help: 'For support kindly contact us at support@imagekit.io .' },
          { status },
        );
      }
      if (request.method === 'POST' && pathname === '/api/v1/files/upload') {
        const form = await request.formData();
        const fields: Record<string, string> = {};
        let file: ReceivedUpload['file'] = null;
        for (const [key, value] of form.entries()) {
          if (typeof value === 'string') fields[key] = value;
          else
            file = { name: value.name, type: value.type, bytes: new Uint8Array(await value.arrayBuffer()) };
        }
        uploads.push({ authorization, privateKey, fields, file });
        if (!file || !fields.fileName) {
          return Response.json({ message: 'Missing file parameter for upload' }, { status: 400 });
        }
        const folder = (fields.folder ?? '/').replace(/\/$/, '');
        const filePath = `${folder}/${fields.fileName}`;
        return Response.json({
          fileId: crypto.randomUUID().replaceAll('-', '').slice(0, 24),
          name: fields.fileName,
          size: file.bytes.byteLength,
          versionInfo: { id: crypto.randomUUID().slice(0, 24), name: 'Version 1' },
          filePath,
          url: `${urlEndpoint}${filePath}`,
          fileType: 'image',
          height: 1,
          width: 1,
          thumbnailUrl: `${urlEndpoint}/tr:n-ik_ml_thumbnail${filePath}`,
          tags: fields.tags ? fields.tags.split(',') : null,
          isPrivateFile: fields.isPrivateFile === 'true',
          customCoordinates: null,
        });
      }
      const match = pathname.match(/^\/v1\/files\/([^/]+)$/);
      if (request.method === 'DELETE' && match) {
        deleted.push(decodeURIComponent(match[1]!));
        return new Response(null, { status: 204 });
      }
      return Response.json({ message: 'Not found' }, { status: 404 });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    urlEndpoint,
    uploads,
    deleted,
    failNext(status, message) {
      failure = { status, message };
    },
    stop: () => server.stop(true),
  };
}
