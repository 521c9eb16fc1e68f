import { Elysia } from 'elysia';

/**
 * `/call`: the whole call flow in one page a frontend team can copy. Sign in, pick a confirmed
 * appointment, ask for a ticket, open the signaling socket, and connect a peer connection with the
 * ticket's ICE servers. The person already in the room makes the offer when the other joins.
 * `?relay=1` forces TURN (iceTransportPolicy "relay"). Inline script, no other host.
 */
const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <title>HealthVision call</title>
  <link rel="icon" href="data:," />
  <style>
    body { font: 15px system-ui, sans-serif; margin: 1.5rem; max-width: 60rem; }
    video { width: 45%; background: #222; border-radius: 6px; }
    form, #appointments, #call { margin: 1rem 0; }
    #status { color: #555; }
  </style>
</head>
<body>
  <h1>HealthVision call</h1>
  <form id="login">
    <input name="email" type="email" placeholder="Email" autocomplete="username" required />
    <input name="password" type="password" placeholder="Password" autocomplete="current-password" required />
    <button type="submit">Sign in</button>
  </form>
  <ul id="appointments"></ul>
  <div id="call" hidden>
    <video id="local" autoplay muted playsinline></video>
    <video id="remote" autoplay muted playsinline></video>
    <p><button id="leave" type="button">Leave</button></p>
  </div>
  <p id="status">Sign in as the appointment's patient or doctor.</p>
<script>
(() => {
  const $ = (id) => document.getElementById(id);
  const say = (text) => { $('status').textContent = text; };
  const relayOnly = new URLSearchParams(location.search).get('relay') === '1';
  const state = { token: null, socket: null, pc: null, local: null, iceServers: [], pending: [] };
  window.hvCall = state;

  async function api(method, path, body) {
    const headers = { 'content-type': 'application/json' };
    if (state.token) headers.authorization = 'Bearer ' + state.token;
    const res = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
    const json = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error((json.error && json.error.message) || res.statusText);
    return json;
  }

  $('login').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    try {
      const session = await api('POST', '/api/v1/auth/login', { email: form.get('email'), password: form.get('password') });
      state.token = session.accessToken;
      const page = await api('GET', '/api/v1/appointments?status=confirmed');
      const list = $('appointments');
      list.replaceChildren();
      for (const appointment of page.items) {
        const item = document.createElement('li');
        const button = document.createElement('button');
        button.type = 'button';
        button.textContent = 'Join';
        button.dataset.appointmentId = appointment.id;
        button.addEventListener('click', () => join(appointment.id));
        item.append(new Date(appointment.startsAt).toLocaleString() + ' ', button);
        list.append(item);
      }
      say(page.items.length ? 'Pick an appointment to join.' : 'No confirmed appointments.');
    } catch (error) { say('Sign-in failed: ' + error.message); }
  });

  const send = (message) => state.socket.send(JSON.stringify(message));

  function newPeerConnection() {
    if (state.pc) state.pc.close();
    const pc = new RTCPeerConnection({ iceServers: state.iceServers, iceTransportPolicy: relayOnly ? 'relay' : 'all' });
    state.pc = pc;
    state.pending = [];
    for (const track of state.local.getTracks()) pc.addTrack(track, state.local);
    pc.onicecandidate = (event) => { if (event.candidate) send({ type: 'ice', candidate: event.candidate.toJSON() }); };
    pc.ontrack = (event) => { $('remote').srcObject = event.streams[0]; };
    pc.onconnectionstatechange = () => say('Connection: ' + pc.connectionState);
    return pc;
  }

  async function offer() {
    const pc = newPeerConnection();
    await pc.setLocalDescription(await pc.createOffer());
    send({ type: 'offer', sdp: pc.localDescription.sdp });
  }

  async function onMessage(message) {
    switch (message.type) {
      case 'joined':
        say(message.peers.length ? 'Joined; the other person is here.' : 'Joined; waiting for the other person.');
        break;
      case 'peer-joined':
        await offer();
        break;
      case 'offer': {
        const pc = newPeerConnection();
        await pc.setRemoteDescription({ type: 'offer', sdp: message.sdp });
        for (const candidate of state.pending.splice(0)) await pc.addIceCandidate(candidate);
        await pc.setLocalDescription(await pc.createAnswer());
        send({ type: 'answer', sdp: pc.localDescription.sdp });
        break;
      }
      case 'answer':
        await state.pc.setRemoteDescription({ type: 'answer', sdp: message.sdp });
        for (const candidate of state.pending.splice(0)) await state.pc.addIceCandidate(candidate);
        break;
      case 'ice':
        if (state.pc && state.pc.remoteDescription) await state.pc.addIceCandidate(message.candidate);
        else state.pending.push(message.candidate);
        break;
      case 'peer-left':
        if (state.pc) state.pc.close();
        state.pc = null;
        $('remote').srcObject = null;
        say('The other person left; waiting.');
        break;
      case 'error':
        say('Signaling: ' + message.message);
        break;
    }
  }

  async function join(appointmentId) {
    try {
      const ticket = await api('POST', '/api/v1/consultations/' + appointmentId + '/ticket');
      state.iceServers = ticket.iceServers;
      // Media first: an offer made before the tracks are added carries no media.
      state.local = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
      $('local').srcObject = state.local;
      $('call').hidden = false;
      const socket = new WebSocket(ticket.wsUrl + '?ticket=' + encodeURIComponent(ticket.ticket));
      state.socket = socket;
      let queue = Promise.resolve();
      socket.onmessage = (event) => { queue = queue.then(() => onMessage(JSON.parse(event.data))).catch((e) => say(e.message)); };
      socket.onclose = (event) => say('Signaling closed (' + event.code + ') ' + event.reason);
    } catch (error) { say('Could not join: ' + error.message); }
  }

  $('leave').addEventListener('click', () => {
    if (state.socket) send({ type: 'leave' });
    if (state.pc) state.pc.close();
    if (state.local) for (const track of state.local.getTracks()) track.stop();
  });
})();
</script>
</body>
</html>
`;

/** The demo call page at /call. */
export const callPage = () =>
  new Elysia({ name: 'call-page' }).get(
    '/call',
    () => new Response(PAGE, { headers: { 'content-type': 'text/html; charset=utf-8' } }),
    { detail: { hide: true } },
  );
