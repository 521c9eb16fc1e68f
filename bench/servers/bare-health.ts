/** The bare twin of GET /health: Bun.serve answering the same JSON, nothing else. */
Bun.serve({
  hostname: '127.0.0.1',
  port: Number(Bun.argv[2]),
  fetch: () => Response.json({ status: 'ok' }),
});
