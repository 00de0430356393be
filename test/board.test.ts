// Hardware parity without hardware: QEMU serving its console on a TCP port is a board on a lab
// console (the runner cannot tell), captured logs replay as runs, and a misbehaving console
// (silent, closing, spewing garbage) gets a clear verdict in bounded time.
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { buildTargets, listKernels } from '../harness/build/manifest.js';
import { firstDifference } from '../harness/compare/classify.js';
import { runSubject } from '../harness/cli/run-command.js';
import { REPO_ROOT } from '../harness/paths.js';
import { BoardRunner } from '../harness/runners/board.js';
import { loadBoardFile } from '../harness/runners/board-config.js';
import { ReplayRunner } from '../harness/runners/replay.js';
import { subject } from './helpers/subjects.js';

const qemuBoard = await loadBoardFile(join(REPO_ROOT, 'qemu', 'board-qemu-tcp.json'));
// A board's machine is fixed: kernels that need machine options (smp, semihosting, an appended
// command line) or boot as flat images are left to the QEMU runner.
const targets = (await listKernels())
  .flatMap(buildTargets)
  .filter((t) => t.kernel.manifest.deterministic !== false && !t.kernel.manifest.machine && (t.kernel.manifest.image ?? 'elf') === 'elf');

for (const target of targets) {
  test(`the QEMU-over-TCP board gives the QEMU runner's markers: ${target.id}`, async (t) => {
    const s = await subject(target.id);
    // Kernels that end only at the timeout (hang; fault, which a board sees as silence) get a short one.
    const endsByTimeout = ['timeout', 'fault'].includes(target.kernel.manifest.expect.verdict ?? 'completed');
    const timeout = endsByTimeout ? Math.min(s.timeoutMs ?? 10_000, 2000) : s.timeoutMs;
    const { runs } = await runSubject(s, ['qemu', new BoardRunner(qemuBoard)], 'cortex-a57', timeout);
    const [qemu, board] = runs;
    t.is(board!.runner, 'board');
    t.deepEqual(board!.markers, qemu!.markers, board!.reason);
    t.is(board!.done, qemu!.done);
    // A board reports no faults of its own: a QEMU fault is a hang on the console.
    t.is(board!.verdict, qemu!.verdict === 'fault' ? 'timeout' : qemu!.verdict);
  });
}

test('a replayed log equal to a QEMU run shows no divergence; a hand-edited one exactly the edit', async (t) => {
  const s = await subject('gowb@go1.19');
  const { runs } = await runSubject(s, ['qemu'], 'cortex-a57');
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-replay-'));
  await writeFile(join(dir, 'same.log'), runs[0]!.serial);
  await writeFile(join(dir, 'edited.log'), runs[0]!.serial.replace('T2 Y', 'T2 N'));
  const same = await runSubject(s, [new ReplayRunner(join(dir, 'same.log'))], 'cortex-a57');
  t.is(firstDifference(same.runs[0]!, { ...runs[0]!, runner: 'replay' }), null);
  t.deepEqual(same.runs[0]!.markers, runs[0]!.markers);
  const edited = (await runSubject(s, [new ReplayRunner(join(dir, 'edited.log'))], 'cortex-a57')).runs[0]!;
  const differing = Object.keys(runs[0]!.markers).filter((id) => runs[0]!.markers[id] !== edited.markers[id]);
  t.deepEqual(differing, ['T2']);
  t.regex(firstDifference(edited, runs[0]!)!, /^T2 is N on replay\/cortex-a57 but Y on qemu\/cortex-a57/);
  const missing = (await runSubject(s, [new ReplayRunner(join(dir, 'nope.log'))], 'cortex-a57')).runs[0]!;
  t.is(missing.verdict, 'error');
});

/** A loopback console server whose behaviour the test chooses; closed after the test. */
async function consoleServer(onConnection: (socket: Socket) => void): Promise<{ port: number; server: Server }> {
  const server = createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

const board = (port: number, extra: object = {}) =>
  new BoardRunner({ name: 'test-board', console: { tcp: `127.0.0.1:${port}` }, connectTimeoutMs: 1000, ...extra });
const spec = (timeoutMs: number) => ({ elfPath: '/dev/null', cpu: 'cortex-a57', timeoutMs });

test('a board that never answers: timeout in bounded time, saying so', async (t) => {
  const sockets: Socket[] = [];
  const { port, server } = await consoleServer((s) => sockets.push(s));
  const started = Date.now();
  const result = await board(port).run(spec(800));
  t.is(result.verdict, 'timeout');
  t.regex(result.reason, /no serial output at all: the board never answered/);
  t.true(Date.now() - started < 3000);
  sockets.forEach((s) => s.destroy());
  server.close();
  const silent = await board(port, { silenceTimeoutMs: 300 }).run(spec(5000));
  t.is(silent.verdict, 'error', 'nobody listens any more: cannot connect');
  t.regex(silent.reason, /cannot connect to the console tcp:127\.0\.0\.1:\d+ within 1000 ms/);
});

test('a console that closes mid-run is an infrastructure error, not a kernel outcome', async (t) => {
  const { port, server } = await consoleServer((socket) => {
    socket.write('booting\nT1 Y\n');
    setTimeout(() => socket.destroy(), 100);
  });
  const result = await board(port).run(spec(5000));
  server.close();
  t.is(result.verdict, 'error');
  t.regex(result.reason, /closed the connection mid-run \(after 13 bytes, before DONE\)/);
  t.deepEqual(result.markers, { T1: 'Y' }, 'what arrived is kept');
});

test('garbage on the line: no markers, a clear verdict, bounded time and memory', async (t) => {
  const { port, server } = await consoleServer((socket) => {
    // Bounded: 64 chunks of random bytes with bad "markers" sprinkled in, then silence.
    let sent = 0;
    const timer = setInterval(() => {
      const junk = Buffer.from(Array.from({ length: 1024 }, () => Math.floor(Math.random() * 256)));
      socket.write(Buffer.concat([junk, Buffer.from('xT1 Y\xff')]));
      if (++sent >= 64) clearInterval(timer);
    }, 2);
    socket.on('close', () => clearInterval(timer));
    socket.on('error', () => clearInterval(timer));
  });
  const result = await board(port, { silenceTimeoutMs: 400 }).run({ ...spec(5000), maxSerialBytes: 32 * 1024 });
  server.close();
  t.true(['output-limit', 'timeout'].includes(result.verdict), result.verdict);
  t.regex(result.reason, /passed the 32768-byte cap|no serial output for 400 ms/);
  t.false('T1' in result.markers, 'glued look-alikes are not markers');
  t.true(result.serial.length < 32 * 1024 * 4 + 16, 'memory bounded by the cap');
});

test('boards and captured logs are matrix runners like the others', async (t) => {
  const { loadMatrixConfig } = await import('../harness/matrix/config.js');
  const { runMatrix } = await import('../harness/matrix/run-matrix.js');
  const { ResultsStore } = await import('../harness/matrix/store.js');
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-boardmatrix-'));
  const hello = (await runSubject(await subject('hello'), ['qemu'], 'cortex-a57')).runs[0]!;
  await writeFile(join(dir, 'hello.log'), hello.serial.replace('T1 Y', 'T1 N'));
  const { name: _name, ...qemuTcp } = qemuBoard;
  await writeFile(
    join(dir, 'c.json'),
    JSON.stringify({
      boards: { 'qemu-tcp': qemuTcp },
      runners: ['qemu', 'board:qemu-tcp', 'replay'],
      kernels: [
        { kernel: 'hello', logs: { unpatched: 'hello.log' } },
        { kernel: 'fault', timeoutMs: 1500 },
      ],
      diagnose: false,
    }),
  );
  const summary = await runMatrix({
    config: await loadMatrixConfig(join(dir, 'c.json')),
    store: new ResultsStore(join(dir, 'r')),
    runId: 'r',
  });
  const cell = (id: string) => summary.cells.find((c) => c.id === id)!;
  t.is(summary.cells.length, 5, 'no replay cell where no log was captured');
  const boardHello = cell('hello/unpatched/board:qemu-tcp/cortex-a57');
  t.deepEqual(boardHello.markers, cell('hello/unpatched/qemu/cortex-a57').markers);
  t.true(
    boardHello.findings.every((f) => /replay/.test(f.summary)),
    'it differs only from the edited log',
  );
  t.is(cell('fault/unpatched/board:qemu-tcp/cortex-a57').verdict, 'timeout');
  t.is(cell('fault/unpatched/board:qemu-tcp/cortex-a57').outcome, 'expected', 'a board sees a fault as silence: no divergence by itself');
  const replay = cell('hello/unpatched/replay/cortex-a57');
  t.is(replay.outcome, 'parity-divergence');
  t.regex(replay.findings[0]!.summary, /T1 is N on replay\/cortex-a57 but Y on (qemu|board)\/cortex-a57/);
});
