/** The bare twin of the by-id read: Bun.serve and one prepared bun:sqlite statement on the same file. */
import { Database } from 'bun:sqlite';

const [portArg, filename] = Bun.argv.slice(2);
const db = new Database(filename, { readonly: true });
db.run('PRAGMA busy_timeout = 5000');
const byId = db.query<{ id: string; doc: string }, [string]>('SELECT id, doc FROM bench_docs WHERE id = ?');
const PREFIX = '/bench/docs/';

Bun.serve({
  hostname: '127.0.0.1',
  port: Number(portArg),
  fetch(request) {
    const { pathname } = new URL(request.url);
    const row = pathname.startsWith(PREFIX) ? byId.get(pathname.slice(PREFIX.length)) : null;
    if (!row)
      return new Response('{"error":{"code":"NOT_FOUND","message":"No such document"}}', { status: 404 });
    return new Response(JSON.stringify({ _id: row.id, ...JSON.parse(row.doc) }), {
      headers: { 'content-type': 'application/json' },
    });
  },
});
