/**
 * The twin of the by-id read: Bun.serve and one prepared bun:sqlite statement on the same file, with the
 * app's headers, request id and access log.
 */
import { Database } from 'bun:sqlite';
import { begin, envelope, finish } from './twin.ts';

const [portArg, filename] = Bun.argv.slice(2);
const db = new Database(filename, { readonly: true });
db.run('PRAGMA busy_timeout = 5000');
const byId = db.query<{ id: string; doc: string }, [string]>(
  'SELECT id, doc FROM bench_docs WHERE id = ? LIMIT 1',
);
const PREFIX = '/bench/docs/';
const ROUTE = '/bench/docs/:id';

Bun.serve({
  hostname: '127.0.0.1',
  port: Number(portArg),
  fetch(request) {
    const exchange = begin(request);
    const row = exchange.path.startsWith(PREFIX) ? byId.get(exchange.path.slice(PREFIX.length)) : null;
    if (!row) return finish(exchange, ROUTE, 404, envelope('NOT_FOUND', 'No such document'), 'info');
    const doc = JSON.parse(row.doc);
    doc._id = row.id;
    return finish(exchange, ROUTE, 200, JSON.stringify(doc), 'info');
  },
});
