/** The twin of the signaling relay: Bun.serve upgrading every socket into one topic and publishing to it. */
const [portArg, ticketFile] = Bun.argv.slice(2);

Bun.serve<{ room: string }>({
  hostname: '127.0.0.1',
  port: Number(portArg),
  fetch(request, server) {
    if (new URL(request.url).pathname === '/health') return new Response('ok');
    if (server.upgrade(request, { data: { room: 'room' } })) return undefined;
    return new Response('upgrade expected', { status: 400 });
  },
  websocket: {
    open(ws) {
      ws.subscribe(ws.data.room);
    },
    // publish() reaches every subscriber but the sender: the other peer.
    message(ws, message) {
      ws.publish(ws.data.room, message);
    },
  },
});
const pair = { patient: 'x', doctor: 'x' };
await Bun.write(ticketFile!, JSON.stringify([pair, pair]));
