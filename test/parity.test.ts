// Register-level parity on real QEMU (its gdbstub, through wbdiff's own RSP client) and the real
// emulator, plus misbehaving stubs (silent, garbage, closing mid-run) that must each give a clear
// error in bounded time. Only loopback addresses; every loop is bounded.
//
// What legitimately differs, found by experiment (QEMU 7.2, Unicorn 2.0.1):
// - nothing at reset: x0-x30 and sp are 0, pc is the ELF entry and cpsr 0x400003c5 on both
//   runners, for every -cpu the emulator models (the test below keeps checking that);
// - so at gowb's patched call sites every register is equal, those the code determines (x0-x3, x16,
//   x27-x30, sp, pc there) and those it never wrote (the rest, still at their reset value 0);
// - values read from the generic timer (jitter's x19 = CNTVCT_EL0) differ, and differ between
//   two runs of the same runner: legitimate ("nondeterministic");
// - a system register modelled differently (PMCR_EL0: QEMU's PMU has 6 counters, Unicorn's
//   reads another value) is a real divergence, reported as the earliest one.
import { createServer, type Server, type Socket } from 'node:net';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { symbolContext } from '../harness/diagnose/describe.js';
import { diagnoseElf } from '../harness/diagnose/index.js';
import { readElf } from '../harness/elf/read-elf.js';
import { WbdiffError } from '../harness/errors.js';
import { snapshotOnQemu } from '../harness/gdb/qemu-gdb.js';
import { RspClient, RspError } from '../harness/gdb/rsp.js';
import { CORE_REGISTERS, type SnapshotRun } from '../harness/gdb/snapshot.js';
import { snapshotOnEmulator } from '../harness/parity/emu-snapshots.js';
import { breakpointsFromManifest, checkParity, resolveBreakpoints } from '../harness/parity/parity.js';
import { compareRuns, poisonedResetRegisters } from '../harness/parity/registers.js';
import { KERNELS_DIR } from '../harness/paths.js';
import { hex } from '../harness/util/hex.js';
import { wbdiff } from './helpers/cli.js';
import { buildTestKernel } from './helpers/register-probe.js';
import { gowbVariant, subject } from './helpers/subjects.js';

/** Registers that legitimately differ between QEMU and the emulator at gowb@go1.19's call sites: none (see the header). */
const GOWB_LEGITIMATELY_DIFFERENT: readonly string[] = [];

// ------------------------------------------------------------ real QEMU, real emulator

test('the RSP client reads x0-x30, sp, pc at gowb@go1.19 seed-barrier call sites, equal to the emulator diagnosis snapshots', async (t) => {
  const { patched } = await gowbVariant('1.19', 'seed-barrier');
  const breakpoints = breakpointsFromManifest(patched.manifest.sites);
  t.is(breakpoints.length, 3);
  const qemu = await snapshotOnQemu({
    elfPath: patched.elfPath,
    breakpoints: breakpoints.map((b) => b.address),
    maxHits: 16,
    timeoutMs: 20_000,
  });
  t.is(qemu.end.kind, 'exited', qemu.end.detail);
  t.is(qemu.hits.length, 3);
  const diagnosis = await diagnoseElf(patched.elfPath, patched.manifest.sites);
  for (const hit of qemu.hits) {
    const site = diagnosis.sites.find((s) => s.address === hex(hit.address));
    const call = site?.calls.find((c) => c.hit === hit.hitOfBreakpoint);
    t.truthy(call, `the emulator traced ${hex(hit.address)} too`);
    t.is(hit.registers['pc'], hit.address, 'stopped before the bl runs');
    const differing = CORE_REGISTERS.filter((r) => hex(hit.registers[r]!) !== call!.registers[r]);
    t.deepEqual(differing, [...GOWB_LEGITIMATELY_DIFFERENT], `hit ${hit.seq} at ${site!.location}`);
  }
  // The Go 1.19 write-barrier convention, as QEMU's registers show it at the first call.
  const image = await readElf(patched.elfPath);
  const ctx = symbolContext(image);
  const first = qemu.hits[0]!.registers;
  const sym = (r: string) => ctx.symbols.format(first[r]!);
  t.is(sym('x2'), 'main.gp');
  t.is(sym('x3'), 'main.t1');
  t.is(sym('x27'), 'runtime.writeBarrier');
  t.is(sym('x28'), 'main.fakeg');
  t.regex(sym('sp'), /^main\.kstack\+/);
  // The g layout came from QEMU's own target.xml, and it is the one documented in target-xml.ts.
  t.is(qemu.details['layout'], 'target.xml');
  t.deepEqual(qemu.details['coreLayout'], [...Array.from({ length: 31 }, (_, i) => `x${i}:${i}:64`), 'sp:31:64', 'pc:32:64', 'cpsr:33:32']);
});

test('parity on gowb@go1.19 + seed-barrier: every determined register equal; which ones the code determines', async (t) => {
  const { patched } = await gowbVariant('1.19', 'seed-barrier');
  const report = await checkParity(patched.elfPath, { breakpoints: breakpointsFromManifest(patched.manifest.sites), timeoutMs: 20_000 });
  const c = report.comparison;
  t.is(c.verdict, 'parity', c.summary);
  t.is(c.earliest, null);
  t.deepEqual(
    c.legitimate.map((l) => l.reg),
    [...GOWB_LEGITIMATELY_DIFFERENT],
  );
  t.deepEqual(c.resetDifferences, []);
  t.is(report.analysis.seeded, null, 'reset states are equal: no seeded run needed');
  const first = c.hits[0]!;
  const determined = first.rows.filter((r) => r.determined === true).map((r) => r.reg);
  for (const r of ['x0', 'x1', 'x2', 'x3', 'x27', 'x28', 'x29', 'x30', 'sp', 'pc'])
    t.true(determined.includes(r), `${r} is set by the code before the first call`);
  // Registers the code never set are still their reset value (0) on both: equal, but not the code's doing.
  for (const r of first.undetermined) t.is(first.rows.find((row) => row.reg === r)!.qemu, '0x0', r);
  t.true(first.undetermined.includes('x19'));
  for (const hit of c.hits) t.true(hit.rows.every((r) => r.status === 'same'));
  t.true(c.hits.every((h) => h.markersAgree && h.serialAgrees));
});

test('the reset state is the same on QEMU and the emulator for every modelled CPU (why nothing differs at reset)', async (t) => {
  const s = await subject('hello');
  const image = await readElf(s.elfPath);
  for (const [cpu, model] of [
    ['cortex-a57', 'A57'],
    ['cortex-a53', 'A53'],
    ['cortex-a72', 'A72'],
    ['max', 'MAX'],
  ] as const) {
    const qemu = await snapshotOnQemu({ elfPath: s.elfPath, cpu, breakpoints: [], maxHits: 1, timeoutMs: 10_000 });
    const emu = await snapshotOnEmulator(image, { model, breakpoints: [], maxHits: 1 });
    t.is(qemu.reset['pc'], image.entry, cpu);
    t.is(emu.reset['pc'], image.entry, cpu);
    for (const r of [...CORE_REGISTERS, 'cpsr']) t.is(hex(qemu.reset[r]!), hex(emu.reset[r]!), `${cpu} ${r}`);
    t.is(qemu.reset['cpsr'], 0x400003c5n, `${cpu}: EL1h, DAIF masked, Z set`);
  }
});

test("a counter read is a legitimate difference: jitter's x19 (CNTVCT_EL0) differs run to run", async (t) => {
  const s = await subject('jitter');
  const image = await readElf(s.elfPath);
  const report = await checkParity(s.elfPath, { breakpoints: resolveBreakpoints(image, ['main+0x14']) });
  const c = report.comparison;
  t.is(c.verdict, 'parity', c.summary);
  const row = c.hits[0]!.rows.find((r) => r.reg === 'x19')!;
  t.is(row.status, 'legitimate');
  t.is(row.reason, 'nondeterministic');
  t.true(row.nondeterministic);
  t.regex(row.why!, /CNTVCT_EL0/);
  t.true(c.hits[0]!.rows.filter((r) => r.reg !== 'x19').every((r) => r.status === 'same'));
});

/** A tiny kernel that reads PMCR_EL0 (modelled differently by QEMU and Unicorn) into x1 before `probe`. */
async function pmcrKernel(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-parity-'));
  const source = [
    '#include "virt.h"',
    '\tkernel_entry main',
    'main:',
    '\tsay\t"T1 Y\\n"',
    '\tmrs\tx1, pmcr_el0',
    '\tmov\tx2, #7',
    '\t.global probe',
    'probe:',
    '\tnop',
    '\tsay\t"DONE\\n"',
    '\tb\tpoweroff',
    '\tvirt_lib',
    '',
  ].join('\n');
  return buildTestKernel(dir, 'kernel', source);
}

test('a register difference at the same pc before any marker differs is the earliest divergence, symbolised', async (t) => {
  const elf = await pmcrKernel();
  const image = await readElf(elf);
  const report = await checkParity(elf, { breakpoints: resolveBreakpoints(image, ['probe']) });
  const c = report.comparison;
  t.is(c.verdict, 'divergence');
  const e = c.earliest!;
  t.like(e, {
    kind: 'register',
    seq: 1,
    register: 'x1',
    location: 'probe',
    address: hex(image.symbols.resolve('probe')!.value),
    markersAgreed: true,
    serialAgreed: true,
  });
  t.not(e.qemu, e.emu);
  t.regex(
    e.text,
    /^earliest parity divergence at hit 1 \(probe, pc 0x[0-9a-f]+\): x1 is 0x[0-9a-f]+ on QEMU but 0x[0-9a-f]+ on the emulator, before any marker differs/,
  );
  const rows = c.hits[0]!.rows;
  t.deepEqual(
    rows.filter((r) => r.status !== 'same').map((r) => r.reg),
    ['x1'],
  );
  t.is(rows.find((r) => r.reg === 'x1')!.determined, true, 'x1 is written by the mrs');
  t.is(rows.find((r) => r.reg === 'x2')!.status, 'same');

  const cli = await wbdiff(['parity', elf, '--at', 'probe', '--differences-only']);
  t.is(cli.exitCode, 1, cli.stderr);
  t.regex(cli.stdout, /!\s+x1\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+code/);
  t.regex(cli.stdout, /verdict: divergence — earliest parity divergence at hit 1 \(probe/);
});

test('wbdiff parity: default breakpoints from the patch manifest, --json, exit 0; no breakpoints is exit 2 with a hint', async (t) => {
  const variant = join(KERNELS_DIR, 'gowb', 'variants', 'go1.19', 'seed-barrier.json');
  const ok = await wbdiff(['parity', 'gowb@go1.19', '--variant', variant, '--json']);
  t.is(ok.exitCode, 0, `${ok.stderr}\n${ok.stdout.slice(0, 4000)}`);
  const doc = JSON.parse(ok.stdout) as {
    report: { comparison: { verdict: string; hits: { location: string; rows: { reg: string; qemu: string; emu: string }[] }[] } };
  };
  t.is(doc.report.comparison.verdict, 'parity');
  t.deepEqual(
    doc.report.comparison.hits.map((h) => h.location),
    ['main.kmain+0x7c', 'main.kmain+0xd4', 'main.kmain+0x13c'],
  );
  t.is(doc.report.comparison.hits[0]!.rows.length, 34);
  const text = await wbdiff(['parity', 'gowb@go1.19', '--variant', variant]);
  t.regex(text.stdout, /hit 1: main\.kmain\+0x7c \(pc 0x[0-9a-f]+\) — no divergence/);
  t.regex(text.stdout, /x2\s+0x[0-9a-f]+ &main\.gp\s+=\s+code/);
  const none = await wbdiff(['parity', 'hello']);
  t.is(none.exitCode, 2);
  t.regex(none.stderr, /no breakpoints[\s\S]*hint: give --at/);
  const bad = await wbdiff(['parity', 'hello', '--at', 'no.such.symbol']);
  t.is(bad.exitCode, 2);
  t.regex(bad.stderr, /--at no\.such\.symbol: unknown symbol/);
});

// ------------------------------------------------------------ the classifier on real snapshots

test('reset-state differences are legitimate only when starting from the other reset state removes them', async (t) => {
  const s = await subject('hello');
  const image = await readElf(s.elfPath);
  const breakpoints = resolveBreakpoints(image, ['poweroff']).map((b) => b.address);
  const run = (initialRegisters?: Record<string, bigint>) =>
    snapshotOnEmulator(image, { model: 'A57', breakpoints, maxHits: 4, ...(initialRegisters ? { initialRegisters } : {}) });
  // A "QEMU" whose reset leaves x5 = 0x1234 and x0 = 0x77 (as a board's firmware might): x0 is
  // overwritten by the code, x5 never is.
  const otherReset = { x5: 0x1234n, x0: 0x77n };
  const other: SnapshotRun = { ...(await run(otherReset)), runner: 'qemu' };
  const emu = await run();
  const seeded = await run({ ...emu.reset, ...otherReset });
  const ctx = symbolContext(image);
  const withSeed = compareRuns({
    qemu: other,
    emu,
    repeat: await run(),
    seeded,
    poisoned: await run(poisonedResetRegisters()),
    symbols: ctx,
  });
  t.is(withSeed.verdict, 'parity', withSeed.summary);
  t.deepEqual(
    withSeed.resetDifferences.map((d) => d.reg),
    ['x0', 'x5'],
  );
  const x5 = withSeed.hits[0]!.rows.find((r) => r.reg === 'x5')!;
  t.like(x5, { status: 'legitimate', reason: 'reset-state', determined: false });
  t.regex(x5.why!, /never written since reset: QEMU resets it to 0x1234, the emulator to 0x0/);
  t.is(withSeed.hits[0]!.rows.find((r) => r.reg === 'x0')!.status, 'same');
  // Without the seeded run nothing explains x5: it is a divergence.
  const withoutSeed = compareRuns({ qemu: other, emu, symbols: ctx });
  t.is(withoutSeed.verdict, 'divergence');
  t.is(withoutSeed.earliest!.register, 'x5');
});

test('a tampered determined register is a divergence; a missing or different hit is a path divergence', async (t) => {
  const { patched } = await gowbVariant('1.19', 'seed-barrier');
  const image = await readElf(patched.elfPath);
  const breakpoints = breakpointsFromManifest(patched.manifest.sites).map((b) => b.address);
  const emu = await snapshotOnEmulator(image, { model: 'A57', breakpoints });
  const ctx = symbolContext(image);
  const gp = image.symbols.resolve('main.gp')!.value;
  const tampered: SnapshotRun = structuredClone({ ...emu, runner: 'qemu' as const });
  tampered.hits[1]!.registers['x2'] = gp; // hit 2 should store to &main.gs+8
  const c = compareRuns({ qemu: tampered, emu, symbols: ctx });
  t.is(c.verdict, 'divergence');
  t.like(c.earliest, {
    kind: 'register',
    seq: 2,
    register: 'x2',
    location: 'main.kmain+0xd4',
    qemuSymbol: '&main.gp',
    emuSymbol: '&main.gs+0x8',
  });
  const shorter: SnapshotRun = {
    ...emu,
    runner: 'qemu',
    hits: emu.hits.slice(0, 2),
    end: { kind: 'fault', detail: 'data abort at somewhere' },
  };
  const path = compareRuns({ qemu: shorter, emu, symbols: ctx });
  t.like(path.earliest, { kind: 'path', seq: 3 });
  t.regex(path.earliest!.text, /the emulator reached main\.kmain\+0x13c .* but QEMU ended first: data abort/);
});

// ------------------------------------------------------------ misbehaving stubs

interface FakeStub {
  port: number;
  received: string[];
  server: Server;
  close(): Promise<void>;
}

/** A TCP server on 127.0.0.1 that hands each connection to `onConnection`. */
async function fakeServer(onConnection: (socket: Socket, stub: FakeStub) => void): Promise<FakeStub> {
  const sockets = new Set<Socket>();
  const stub = { received: [] as string[] } as unknown as FakeStub;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onConnection(socket, stub);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stub.port = (server.address() as { port: number }).port;
  stub.server = server;
  stub.close = () => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return stub;
}

const cs = (data: string) => (Array.from(Buffer.from(data, 'latin1')).reduce((a, b) => a + b, 0) & 0xff).toString(16).padStart(2, '0');
const frame = (data: string) => `$${data}#${cs(data)}`;

/** A scripted stub: an independent (regex) packet parser, acks, and a reply function per packet. */
function scriptedStub(reply: (data: string, socket: Socket) => string | null, options: { ack?: boolean } = {}) {
  return fakeServer((socket, stub) => {
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      for (let guard = 0; guard < 100; guard++) {
        buffer = buffer.replace(/^[+-]+/, '');
        const m = /^\$([^#]*)#([0-9a-fA-F]{2})/.exec(buffer);
        if (!m) break;
        buffer = buffer.slice(m[0].length);
        stub.received.push(m[1]!);
        if (options.ack !== false) socket.write('+');
        const answer = reply(m[1]!, socket);
        if (answer !== null && !socket.destroyed) socket.write(frame(answer));
      }
    });
  });
}

const CORE_XML = `<?xml version="1.0"?><feature name="org.gnu.gdb.aarch64.core">${Array.from({ length: 31 }, (_, i) => `<reg name="x${i}" bitsize="64" regnum="${i}"/>`).join('')}<reg name="sp" bitsize="64"/><reg name="pc" bitsize="64"/><reg name="cpsr" bitsize="32"/></feature>`;
const TARGET_XML = '<?xml version="1.0"?><target><architecture>aarch64</architecture><xi:include href="core.xml"/></target>';
const escape = (s: string) => s.replace(/[$#}*]/g, (c) => `}${String.fromCharCode(c.charCodeAt(0) ^ 0x20)}`);

/** Answers like a stopped aarch64 target: qSupported, target.xml, ?, g (x_n = n, pc 0x40080000), Z0/z0. */
function aarch64Reply(data: string): string | null {
  if (data.startsWith('qSupported')) return 'PacketSize=1000;qXfer:features:read+';
  const xfer = /^qXfer:features:read:([^:]+):/.exec(data);
  if (xfer) return `l${escape(xfer[1] === 'target.xml' ? TARGET_XML : CORE_XML)}`;
  if (data === '?') return 'S05';
  if (data === 'g') {
    const le = (v: number, n: number) =>
      Buffer.from(v.toString(16).padStart(n * 2, '0'), 'hex')
        .reverse()
        .toString('hex');
    // x0..x30 = their numbers; the run of zero bytes is run-length encoded as a real stub may do.
    let regs = '';
    for (let i = 0; i <= 30; i++) regs += le(i, 8);
    return `${regs.replace(/0{12}$/, '0*(')}${le(0x40090000, 8)}${le(0x40080000, 8)}c5030040`;
  }
  if (/^[Zz]0,/.test(data)) return 'OK';
  return '';
}

async function timed<T>(promise: Promise<T>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  try {
    await promise;
    return { error: null, ms: Date.now() - started };
  } catch (error) {
    return { error, ms: Date.now() - started };
  }
}

test('a working stub: handshake, layout from target.xml, g with run-length encoding, breakpoints', async (t) => {
  const stub = await scriptedStub(aarch64Reply);
  const client = await RspClient.connect({ port: stub.port });
  try {
    const layout = await client.registerLayout();
    t.is(layout.source, 'target.xml');
    t.is(layout.registers.find((r) => r.name === 'cpsr')!.regnum, 33);
    t.deepEqual(await client.haltReason(), { kind: 'stopped', signal: 5, thread: null, reason: null, info: {} });
    const regs = await client.readRegisters();
    t.is(regs['x30'], 30n);
    t.is(regs['pc'], 0x40080000n);
    t.is(regs['cpsr'], 0x400003c5n);
    await client.insertBreakpoint(0x40080010n);
    t.true(stub.received.includes('Z0,40080010,4'));
    await t.throwsAsync(client.readMemory(0x40000000n, 4), {
      instanceOf: RspError,
      message: /does not support read memory .* \(empty reply\)/,
    });
  } finally {
    client.close();
    await stub.close();
  }
});

test('a - makes the client retransmit; QStartNoAckMode is used when offered', async (t) => {
  let nacked = 0;
  const raw: string[] = [];
  const stub = await fakeServer((socket) => {
    let noAck = false;
    let buffer = '';
    socket.on('data', (chunk) => {
      raw.push(chunk.toString('latin1'));
      buffer += chunk.toString('latin1');
      for (let guard = 0; guard < 100; guard++) {
        buffer = buffer.replace(/^[+-]+/, '');
        const m = /^\$([^#]*)#([0-9a-fA-F]{2})/.exec(buffer);
        if (!m) break;
        buffer = buffer.slice(m[0].length);
        if (m[1]!.startsWith('qSupported') && nacked++ === 0) {
          socket.write('-'); // "resend it" (acks and nacks exist only before no-ack mode)
          continue;
        }
        if (!noAck) socket.write('+');
        if (m[1]!.startsWith('qSupported')) socket.write(frame('PacketSize=1000;QStartNoAckMode+'));
        else if (m[1] === 'QStartNoAckMode') {
          socket.write(frame('OK'));
          noAck = true;
        } else if (m[1] === '?') socket.write(frame('T05thread:01;'));
        else socket.write(frame(''));
      }
    });
  });
  const client = await RspClient.connect({ port: stub.port });
  try {
    await client.handshake();
    t.is(nacked, 2, 'qSupported sent twice: once rejected, once answered');
    t.true(client.noAckMode);
    t.like(await client.haltReason(), { kind: 'stopped', signal: 5, thread: '01' });
    await client.request('qC').catch(() => undefined); // a later request: everything before it has arrived
    const all = raw.join('');
    t.false(all.slice(all.indexOf('$?#')).includes('+'), `no acks after QStartNoAckMode: ${JSON.stringify(all)}`);
  } finally {
    client.close();
    await stub.close();
  }
});

test('a stub that accepts and never answers gives a clear timeout error in bounded time', async (t) => {
  const stub = await fakeServer(() => undefined);
  const client = await RspClient.connect({ port: stub.port, requestTimeoutMs: 500 });
  try {
    const { error, ms } = await timed(client.handshake());
    t.true(error instanceof RspError);
    t.is((error as RspError).kind, 'timeout');
    t.regex(
      (error as Error).message,
      new RegExp(`^no reply to qSupported from the gdbstub at 127\\.0\\.0\\.1:${stub.port} within 500 ms: nothing came back`),
    );
    t.true(ms < 2000, `${ms} ms`);
    // The connection is given up: the next request fails at once, with the same reason.
    const again = await timed(client.readRegisters());
    t.true(again.ms < 100);
    t.is((again.error as RspError).kind, 'timeout');
  } finally {
    client.close();
    await stub.close();
  }
});

test('garbage on the line (random bytes) gives a clear error in bounded time', async (t) => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 16) & 0xff;
  const stub = await fakeServer((socket) => {
    const timer = setInterval(() => socket.write(Buffer.from(Array.from({ length: 48 }, rand))), 20);
    socket.on('close', () => clearInterval(timer));
  });
  const client = await RspClient.connect({ port: stub.port, requestTimeoutMs: 3000 });
  try {
    const { error, ms } = await timed(client.handshake());
    t.true(error instanceof RspError, String(error));
    t.true(['garbage', 'protocol'].includes((error as RspError).kind), (error as Error).message);
    t.regex((error as Error).message, /garbage on the line|corrupt reply|rejected qSupported|malformed/);
    t.true(ms < 2000, `${ms} ms`);
  } finally {
    client.close();
    await stub.close();
  }
});

test('replies that keep failing their checksum give a clear error after a few retries', async (t) => {
  // Acknowledges each request, then answers with a checksum that never matches, resent on each "-".
  const stub = await fakeServer((socket) => {
    socket.on('data', (chunk) => {
      if (chunk.toString('latin1').includes('$')) socket.write('+$OK#00');
      else if (chunk.toString('latin1').includes('-')) socket.write('$OK#00');
    });
  });
  const client = await RspClient.connect({ port: stub.port, requestTimeoutMs: 3000 });
  try {
    const { error, ms } = await timed(client.haltReason());
    t.is((error as RspError).kind, 'garbage');
    t.regex(
      (error as Error).message,
      /^corrupt reply to the halt reason \(\?\) from 127\.0\.0\.1:\d+: checksum 00 does not match the data \(computed 9a\) \(4 times\)/,
    );
    t.true(ms < 2000);
  } finally {
    client.close();
    await stub.close();
  }
});

test('a port that closes mid-run (during continue) gives a clear error at once', async (t) => {
  const stub = await scriptedStub((data, socket) => {
    if (data === 'c') {
      setTimeout(() => socket.destroy(), 100);
      return null;
    }
    return aarch64Reply(data);
  });
  const client = await RspClient.connect({ port: stub.port });
  try {
    await client.handshake();
    await client.readRegisters();
    await client.insertBreakpoint(0x40080010n);
    const { error, ms } = await timed(client.resume('continue', 10_000));
    t.is((error as RspError).kind, 'closed');
    t.regex(
      (error as Error).message,
      /^the gdbstub at 127\.0\.0\.1:\d+ closed the connection while waiting for the reply to continue \(c\)/,
    );
    t.true(ms < 1000, `${ms} ms`);
  } finally {
    client.close();
    await stub.close();
  }
});

test('connecting to a closed port is a clear connect error', async (t) => {
  const stub = await fakeServer(() => undefined);
  const port = stub.port;
  await stub.close();
  const { error } = await timed(RspClient.connect({ port, connectTimeoutMs: 1000 }));
  t.is((error as RspError).kind, 'connect');
  t.regex((error as Error).message, new RegExp(`could not connect to a gdbstub at 127\\.0\\.0\\.1:${port}: ECONNREFUSED`));
  const remote = await timed(RspClient.connect({ host: '192.0.2.1', port }));
  t.regex((remote.error as Error).message, /not a loopback address/);
});

// ------------------------------------------------------------ the QEMU session, misbehaving

/** A stand-in for qemu-system-aarch64: a node script (given to snapshotOnQemu as the binary). */
async function fakeQemu(body: string): Promise<{ binary: string; pidFile: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-fakeqemu-'));
  const pidFile = join(dir, 'pids');
  const binary = join(dir, 'qemu-system-aarch64');
  await writeFile(
    binary,
    `#!${process.execPath}
const net = require('node:net');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const spec = process.argv[process.argv.indexOf('-gdb') + 1];
const port = Number(spec.split(':').pop());
const child = spawn('sleep', ['30'], { stdio: 'ignore' });
fs.writeFileSync(${JSON.stringify(pidFile)}, process.pid + ' ' + child.pid);
setTimeout(() => process.exit(0), 30000);
${body}
`,
  );
  await chmod(binary, 0o755);
  return { binary, pidFile };
}

function alive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function allDead(pids: number[]): Promise<boolean> {
  for (let i = 0; i < 40; i++) {
    if (pids.every((p) => !alive(p))) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

test('a gdbstub that never answers: the QEMU session fails clearly in bounded time and the process group is killed', async (t) => {
  const { binary, pidFile } = await fakeQemu("net.createServer(() => {}).listen(port, '127.0.0.1');");
  const { error, ms } = await timed(
    snapshotOnQemu({ elfPath: '/dev/null', breakpoints: [0x40080000n], binary, timeoutMs: 5000, requestTimeoutMs: 800 }),
  );
  t.true(error instanceof WbdiffError);
  t.regex((error as Error).message, /^no reply to qSupported from the gdbstub at 127\.0\.0\.1:\d+ within 800 ms: nothing came back/);
  // Bounded, not fast: the fake stub is a node process, slow to start on a loaded machine.
  t.true(ms < 15_000, `${ms} ms`);
  const pids = (await readFile(pidFile, 'utf8')).split(' ').map(Number);
  t.true(await allDead(pids), `the fake QEMU and its child are gone (${pids.join(', ')})`);
});

test('a gdb port taken before QEMU binds it (EADDRINUSE) is retried on a new port', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-inuse-'));
  const count = join(dir, 'count');
  const { binary } = await fakeQemu(`
const n = fs.existsSync(${JSON.stringify(count)}) ? Number(fs.readFileSync(${JSON.stringify(count)}, 'utf8')) + 1 : 1;
fs.writeFileSync(${JSON.stringify(count)}, String(n));
if (n === 1) {
  process.stderr.write('qemu-system-aarch64: -gdb ' + spec + ': Failed to find an available port: Address already in use\\n');
  child.kill();
  process.exit(1);
}
net.createServer(() => {}).listen(port, '127.0.0.1');`);
  const { error } = await timed(snapshotOnQemu({ elfPath: '/dev/null', breakpoints: [], binary, timeoutMs: 5000, requestTimeoutMs: 500 }));
  t.is(await readFile(count, 'utf8'), '2', 'started again after the port clash');
  t.regex((error as Error).message, /^no reply to qSupported/, 'the second start got as far as the handshake');
});

test('a stub that spews garbage: the QEMU session fails clearly in bounded time', async (t) => {
  const { binary } = await fakeQemu(
    "net.createServer((s) => { const tm = setInterval(() => s.write(Buffer.from('\\x00\\xff garbage $zz#qq -- ')), 10); s.on('error', () => {}); s.on('close', () => clearInterval(tm)); }).listen(port, '127.0.0.1');",
  );
  const { error, ms } = await timed(
    snapshotOnQemu({ elfPath: '/dev/null', breakpoints: [0x40080000n], binary, timeoutMs: 5000, requestTimeoutMs: 2000 }),
  );
  t.true(error instanceof RspError, String(error));
  t.regex((error as Error).message, /garbage on the line|corrupt reply|rejected/);
  t.true(ms < 3000, `${ms} ms`);
});

test('QEMU dying mid-run (its port closes during continue) ends the session with a clear error', async (t) => {
  const s = await subject('hang');
  const dir = await mkdtemp(join(tmpdir(), 'wbdiff-dyingqemu-'));
  const binary = join(dir, 'qemu-system-aarch64');
  // Real QEMU, killed 1.5 s after it starts; `hang` spins forever, so the breakpoint is never reached.
  await writeFile(binary, '#!/bin/sh\n( sleep 1.5; kill -9 $$ ) &\nexec qemu-system-aarch64 "$@"\n');
  await chmod(binary, 0o755);
  const image = await readElf(s.elfPath);
  const { error, ms } = await timed(
    snapshotOnQemu({ elfPath: s.elfPath, breakpoints: [image.symbols.resolve('poweroff')!.value], binary, timeoutMs: 10_000 }),
  );
  t.true(error instanceof RspError, String(error));
  t.is((error as RspError).kind, 'closed');
  // Killed before or after the continue went out: the socket closes, or the write meets EPIPE.
  t.regex((error as Error).message, /(closed the connection|failed: write EPIPE) while waiting for the reply to continue \(c\)/);
  t.true(ms < 12_000, `${ms} ms`);
});
