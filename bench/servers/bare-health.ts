/** The twin of GET /health: Bun.serve with the app's headers, request id and access log, nothing else. */
import { begin, finish, type LogLevel } from './twin.ts';

const [portArg, logLevel = 'info'] = Bun.argv.slice(2);
const BODY = JSON.stringify({ status: 'ok' });

Bun.serve({
  hostname: '127.0.0.1',
  port: Number(portArg),
  fetch: (request) => finish(begin(request), '/health', 200, BODY, logLevel as LogLevel),
});
