import { AppError } from '../errors.ts';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const tooLarge = (bodyLimitBytes: number) =>
  new AppError(413, 'PAYLOAD_TOO_LARGE', `The request body exceeds ${bodyLimitBytes} bytes`);

/**
 * Reads a copy of a body without a declared length only as far as the limit, so an endless chunked
 * upload costs at most the limit in memory before it is refused.
 */
async function measureBody(request: Request, bodyLimitBytes: number): Promise<void> {
  const reader = request.clone().body?.getReader();
  if (!reader) return;
  let length = 0;
  for (;;) {
    let chunk: Awaited<ReturnType<typeof reader.read>>;
    try {
      chunk = await reader.read();
    } catch {
      // Broken chunked framing, or a connection cut mid-body (a client hanging up, or a shutdown's
      // forced close, which logs its own warning): a body that never arrived, not an error of ours.
      throw new AppError(422, 'MALFORMED_BODY', 'The request body could not be read to its end');
    }
    const { done, value } = chunk;
    if (done) return;
    length += value.byteLength;
    if (length > bodyLimitBytes) {
      // Not awaited: cancelling one branch of a tee settles only when the other branch is cancelled too.
      void reader.cancel();
      throw tooLarge(bodyLimitBytes);
    }
  }
}

export interface BodyLimits {
  bodyLimitBytes: number;
  /** Larger limits for exact paths, e.g. multipart routes that carry an upload. */
  bodyLimitsByPath?: Record<string, number>;
}

/**
 * The size guard: 413 `PAYLOAD_TOO_LARGE` for a body over the path's limit. It returns a promise only
 * when the body must be measured (no declared length: chunked, or an in-process Request).
 */
export function bodyGuard(limits: BodyLimits) {
  return (request: Request, path: string): Promise<void> | undefined => {
    if (!BODY_METHODS.has(request.method)) return undefined;
    const bodyLimitBytes = limits.bodyLimitsByPath?.[path] ?? limits.bodyLimitBytes;
    const declared = request.headers.get('content-length');
    // `request.body` is read only when it must be: the getter makes a stream of the body, and a body read
    // through one (`request.text()` after it) costs more than Bun reading it whole.
    if (declared !== null) {
      if (Number(declared) > bodyLimitBytes && request.body !== null) throw tooLarge(bodyLimitBytes);
      return undefined;
    }
    if (request.body === null) return undefined;
    return measureBody(request, bodyLimitBytes);
  };
}
