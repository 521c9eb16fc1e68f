/**
 * (i) The signaling relay beside a bare Bun.serve publish twin: one sender, one receiver, `ice` frames
 * kept flowing with a window of frames in flight; messages per second, and server CPU per relayed message.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BUN, cpuMicros, freePort, median, type Pinning, type Row, rounds, seconds } from './harness.ts';

const WINDOW = 256;
const FRAME = JSON.stringify({
  type: 'ice',
  candidate: {
    candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host',
    sdpMid: '0',
    sdpMLineIndex: 0,
  },
});

interface Started {
  port: number;
  pid: number;
  tickets: { patient: string; doctor: string }[];
  stop(): Promise<void>;
}

async function start(script: string, pin: Pinning, work: string): Promise<Started> {
  const port = freePort();
  const ticketFile = join(work, `tickets-${port}.json`);
  const proc = Bun.spawn([...pin.server, BUN, script, String(port), ticketFile], {
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'inherit',
  });
  for (let i = 0; i < 400 && !existsSync(ticketFile); i++) {
    if (proc.exitCode !== null) throw new Error(`${script} exited with ${proc.exitCode}`);
    await Bun.sleep(25);
  }
  // The file is written once listening (and the ticket JSON whole): read it after a turn.
  await Bun.sleep(50);
  const tickets = JSON.parse(readFileSync(ticketFile, 'utf8'));
  rmSync(ticketFile);
  return {
    port,
    pid: proc.pid,
    tickets,
    async stop() {
      proc.kill('SIGTERM');
      await proc.exited;
    },
  };
}

const open = (url: string): Promise<WebSocket> =>
  new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.onopen = () => resolve(socket);
    socket.onerror = () => reject(new Error(`could not open ${url}`));
  });

/** Runs the load for `runSeconds`; the relayed-frame count and the server's CPU time over it. */
async function load(
  server: Started,
  pair: number,
  runSeconds: number,
): Promise<{ messages: number; cpuUs: number | null; seconds: number }> {
  const base = `ws://127.0.0.1:${server.port}/ws/signaling?ticket=`;
  const receiver = await open(base + server.tickets[pair]!.doctor);
  const sender = await open(base + server.tickets[pair]!.patient);
  // Let the join frames pass before counting.
  await Bun.sleep(100);
  let sent = 0;
  let received = 0;
  let running = true;
  const pump = () => {
    while (running && sent - received < WINDOW) {
      sender.send(FRAME);
      sent++;
    }
  };
  receiver.onmessage = (event) => {
    if (String(event.data).startsWith('{"type":"ice"')) received++;
    pump();
  };
  const cpuBefore = cpuMicros(server.pid);
  const started = performance.now();
  pump();
  await Bun.sleep(runSeconds * 1000);
  running = false;
  const elapsed = (performance.now() - started) / 1000;
  const cpuAfter = cpuMicros(server.pid);
  const messages = received;
  sender.close();
  receiver.close();
  return {
    messages,
    seconds: elapsed,
    cpuUs: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
  };
}

export async function signalingRow(pin: Pinning, work: string): Promise<Row> {
  const sides = {
    app: { script: 'bench/servers/app-signaling.ts', label: 'src/modules/consultations hub' },
    bare: { script: 'bench/servers/bare-signaling.ts', label: 'Bun.serve publish' },
  };
  const figures: Record<'app' | 'bare', { rate: number[]; cpu: number[] }> = {
    app: { rate: [], cpu: [] },
    bare: { rate: [], cpu: [] },
  };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['bare', 'app'] as const) : (['app', 'bare'] as const);
    for (const key of order) {
      const server = await start(sides[key].script, pin, work);
      try {
        await load(server, 0, 1);
        const run = await load(server, 1, seconds);
        if (run.messages === 0) throw new Error(`${sides[key].label}: nothing was relayed`);
        figures[key].rate.push(run.messages / run.seconds);
        if (run.cpuUs !== null) figures[key].cpu.push(run.cpuUs / run.messages);
        const rate = Math.round(run.messages / run.seconds).toLocaleString('en-US');
        console.log(
          `  (i) round ${round + 1}/${rounds} ${sides[key].label.padEnd(34)} ${rate.padStart(9)} msg/s`,
        );
      } finally {
        await server.stop();
      }
    }
  }
  return {
    name: '(i) signaling relay, one sender',
    twin: 'Bun.serve publish',
    bare: median(figures.bare.rate),
    app: median(figures.app.rate),
    unit: 'msg/s',
    cpuUs: {
      bare: figures.bare.cpu.length ? median(figures.bare.cpu) : null,
      app: figures.app.cpu.length ? median(figures.app.cpu) : null,
    },
    // Within 1.2x of the twin's CPU per message.
    target: 1 / 1.2,
  };
}
