// The GDB remote protocol's pure parts, tested directly: framing and checksums, escapes, run-length
// decoding, the streaming frame reader (split chunks, acks, garbage, corrupt packets), stop
// replies, target descriptions and the `g` layout they give.
import test from 'ava';
import {
  checksum,
  encodePacket,
  errorReply,
  escapeData,
  expandRunLength,
  FrameReader,
  hexToBytes,
  littleEndianHex,
  PacketFormatError,
  printable,
  unescapeData,
  type FrameEvent,
} from '../harness/gdb/packets.js';
import { parseSupported } from '../harness/gdb/rsp.js';
import { parseStopReply } from '../harness/gdb/stop-reply.js';
import {
  aarch64CoreLayout,
  buildRegisterLayout,
  decodeRegisterBlock,
  parseTargetXml,
  type TargetDocument,
} from '../harness/gdb/target-xml.js';

// ------------------------------------------------------------ framing

test('checksum is the byte sum mod 256, written as two lower-case hex digits', (t) => {
  t.is(checksum('OK'), 0x9a);
  t.is(encodePacket('OK'), '$OK#9a');
  t.is(encodePacket('g'), '$g#67');
  t.is(encodePacket('?'), '$?#3f');
  t.is(encodePacket(''), '$#00');
  t.is(checksum('\xff\xff'), 0xfe);
});

test('$, #, } and * are escaped as } and the byte XOR 0x20, and the checksum covers the escaped bytes', (t) => {
  t.is(escapeData('a$b#c}d*e'), 'a}\x04b}\x03c}]d}\x0ae');
  const packet = encodePacket('X#');
  t.is(packet, `$X}\x03#${checksum('X}\x03').toString(16).padStart(2, '0')}`);
  t.is(unescapeData(escapeData('a$b#c}d*e')), 'a$b#c}d*e');
  t.throws(() => unescapeData('abc}'), { instanceOf: PacketFormatError, message: /escape "}" at the end/ });
});

test('run-length decoding: c*n repeats c n-29 more times (the GDB manual\'s "0* " is "0000")', (t) => {
  t.is(expandRunLength('0* '), '0000');
  t.is(expandRunLength('x0*"y'), 'x000000y'); // '"' is 34: 5 more, 6 in all
  t.is(expandRunLength('ab'), 'ab');
  t.is(expandRunLength('0*}'), '0'.repeat(1 + 0x7d - 29));
  t.throws(() => expandRunLength('*a'), { message: /nothing before it/ });
  t.throws(() => expandRunLength('0*'), { message: /without a count/ });
  t.throws(() => expandRunLength('0*\x05'), { message: /not printable/ });
});

const kinds = (events: FrameEvent[]) => events.map((e) => e.kind);

test('the frame reader reassembles a packet split across chunks and reports acks', (t) => {
  const reader = new FrameReader();
  t.deepEqual(reader.push('+$O'), [{ kind: 'ack' }]);
  t.true(reader.inFrame);
  t.deepEqual(reader.push('K#'), []);
  const events = reader.push('9a-');
  t.deepEqual(kinds(events), ['packet', 'nack']);
  const packet = events[0] as Extract<FrameEvent, { kind: 'packet' }>;
  t.is(packet.data, 'OK');
  t.true(packet.checksumOk);
  t.false(reader.inFrame);
});

test('the frame reader expands runs in replies and keeps the raw bytes for the checksum', (t) => {
  const raw = '0* 1';
  const [event] = new FrameReader().push(`$${raw}#${checksum(raw).toString(16).padStart(2, '0')}`);
  t.like(event, { kind: 'packet', raw, data: '00001', checksumOk: true });
});

test('garbage, bad checksums and non-hex checksums are reported, not swallowed', (t) => {
  const reader = new FrameReader();
  const events = reader.push('hello$OK#00$OK#zz\x00\xff$OK#9a');
  t.deepEqual(kinds(events), ['garbage', 'packet', 'packet', 'garbage', 'packet']);
  t.like(events[0], { kind: 'garbage', bytes: 'hello' });
  t.like(events[1], { kind: 'packet', checksumOk: false, data: null, problem: 'checksum 00 does not match the data (computed 9a)' });
  t.like(events[2], { kind: 'packet', checksumOk: false, problem: 'checksum "zz" is not two hex digits' });
  t.like(events[3], { kind: 'garbage', bytes: '\x00\xff' });
  t.like(events[4], { kind: 'packet', data: 'OK', checksumOk: true });
});

test('a $ inside an unfinished packet restarts framing; what came before is garbage', (t) => {
  const events = new FrameReader().push('$abc$OK#9a');
  t.deepEqual(kinds(events), ['garbage', 'packet']);
  t.like(events[0], { bytes: '$abc' });
});

test('an oversized packet is cut off as garbage (the reader stays bounded)', (t) => {
  const events = new FrameReader(16).push(`$${'a'.repeat(40)}#00`);
  t.true(events.some((e) => e.kind === 'garbage'));
  t.false(events.some((e) => e.kind === 'packet' && e.checksumOk));
});

test('a malformed run-length reply with a good checksum is a packet with a problem', (t) => {
  const raw = '*x';
  const [event] = new FrameReader().push(`$${raw}#${checksum(raw).toString(16).padStart(2, '0')}`);
  t.like(event, { kind: 'packet', checksumOk: true, data: null });
  t.regex((event as { problem: string }).problem, /nothing before it/);
});

test('random bytes never crash the reader and never yield a packet with a failed checksum as data', (t) => {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 16) & 0xff;
  const reader = new FrameReader();
  for (let round = 0; round < 200; round++) {
    const bytes = Uint8Array.from({ length: 64 }, rand);
    for (const e of reader.push(bytes)) if (e.kind === 'packet' && !e.checksumOk) t.is(e.data, null);
  }
  t.pass();
});

test('hex helpers: little-endian values, xx for unavailable, odd or non-hex input refused', (t) => {
  t.is(littleEndianHex('5c7b0c4000000000'), 0x400c7b5cn);
  t.is(littleEndianHex('c5030060'), 0x600003c5n);
  t.is(littleEndianHex('xxxxxxxx'), null);
  t.throws(() => hexToBytes('abc'), { message: /odd number/ });
  t.throws(() => hexToBytes('zz'), { message: /non-hex/ });
  t.is(errorReply('E01'), '01');
  t.is(errorReply('E.no such thing'), '.no such thing');
  t.is(errorReply('OK'), null);
  t.is(printable('a\x00b'), 'a\\x00b');
});

test('qSupported replies: values, + and - features', (t) => {
  const f = parseSupported('PacketSize=1000;qXfer:features:read+;vContSupported+;multiprocess+;QStartNoAckMode+;hwbreak-');
  t.is(f.get('PacketSize'), '1000');
  t.is(f.get('qXfer:features:read'), true);
  t.is(f.get('QStartNoAckMode'), true);
  t.is(f.get('hwbreak'), false);
});

// ------------------------------------------------------------ stop replies

test('stop replies: T with thread and reason, S, W (exit), X (signal), O (console output)', (t) => {
  t.deepEqual(parseStopReply('T05thread:p01.01;swbreak:;'), {
    kind: 'stopped',
    signal: 5,
    thread: 'p01.01',
    reason: 'swbreak',
    info: { thread: 'p01.01', swbreak: '' },
  });
  t.deepEqual(parseStopReply('S05'), { kind: 'stopped', signal: 5, thread: null, reason: null, info: {} });
  t.deepEqual(parseStopReply('W00'), { kind: 'exited', status: 0 });
  t.deepEqual(parseStopReply('W01;process:1'), { kind: 'exited', status: 1 });
  t.deepEqual(parseStopReply('X09'), { kind: 'terminated', signal: 9 });
  t.deepEqual(parseStopReply('O48690a'), { kind: 'output', text: 'Hi\n' });
  t.throws(() => parseStopReply('OK'), { message: /not a stop reply \(O must be followed by hex/ });
  t.throws(() => parseStopReply('T5'), { message: /not two hex digits/ });
  t.throws(() => parseStopReply('T05garbage'), { message: /"garbage" is not name:value/ });
  t.throws(() => parseStopReply(''), { message: /empty/ });
  t.throws(() => parseStopReply('\x01\x02'), { instanceOf: PacketFormatError });
});

// ------------------------------------------------------------ target descriptions

const TARGET = `<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd">
<target><architecture>aarch64</architecture><xi:include href="aarch64-core.xml"/><xi:include href="aarch64-fpu.xml"/></target>`;
const CORE = `<?xml version="1.0"?>
<!-- a comment with <reg name="bogus" bitsize="8"/> inside -->
<feature name="org.gnu.gdb.aarch64.core">
  ${Array.from({ length: 31 }, (_, i) => `<reg name="x${i}" bitsize="64"${i === 0 ? ' regnum="0"' : ''}/>`).join('\n  ')}
  <reg name="sp" bitsize="64" type="data_ptr"/>
  <reg name="pc" bitsize="64" type="code_ptr"/>
  <flags id="cpsr_flags" size="4"><field name="SP" start="0" end="0"/></flags>
  <reg name="cpsr" bitsize="32" type="cpsr_flags"/>
</feature>`;
const FPU = `<feature name="org.gnu.gdb.aarch64.fpu"><vector id="v2d" type="ieee_double" count="2"/>
  <reg name="v0" bitsize="128" type="aarch64v" regnum="34"/><reg name="fpsr" bitsize="32" regnum="66"/></feature>`;

function qemuLikeLayout() {
  const annexes = new Map<string, TargetDocument>([
    ['aarch64-core.xml', parseTargetXml(CORE, 'aarch64-core.xml')],
    ['aarch64-fpu.xml', parseTargetXml(FPU, 'aarch64-fpu.xml')],
  ]);
  return buildRegisterLayout(parseTargetXml(TARGET), annexes);
}

test('a target description with includes gives x0..x30, sp, pc, cpsr at 0..33, numbered by the running count', (t) => {
  const layout = qemuLikeLayout();
  t.is(layout.architecture, 'aarch64');
  t.is(layout.source, 'target.xml');
  const names = layout.registers.map((r) => `${r.name}:${r.regnum}:${r.bitsize}`);
  t.deepEqual(names.slice(0, 34), [...Array.from({ length: 31 }, (_, i) => `x${i}:${i}:64`), 'sp:31:64', 'pc:32:64', 'cpsr:33:32']);
  t.deepEqual(names.slice(34), ['v0:34:128', 'fpsr:66:32']);
  t.is(layout.registers[33]!.feature, 'org.gnu.gdb.aarch64.core');
  t.false(
    names.some((n) => n.startsWith('bogus')),
    'registers inside comments are not registers',
  );
  // The built-in fallback says the same for the core feature.
  t.deepEqual(
    aarch64CoreLayout().registers.map((r) => `${r.name}:${r.regnum}:${r.bitsize}`),
    names.slice(0, 34),
  );
});

test('a g reply is split by the layout; a reply covering only the core feature is accepted', (t) => {
  const layout = qemuLikeLayout();
  const le = (v: bigint, bytes: number) =>
    Buffer.from(v.toString(16).padStart(bytes * 2, '0'), 'hex')
      .reverse()
      .toString('hex');
  let reply = '';
  for (let i = 0; i <= 30; i++) reply += le(BigInt(i) * 0x1111n, 8);
  reply += le(0x4015f8b0n, 8) + le(0x400c7b5cn, 8) + le(0x600003c5n, 4);
  const { values, covered } = decodeRegisterBlock(reply, layout);
  t.is(covered, 34);
  t.is(values['x3'], 0x3333n);
  t.is(values['sp'], 0x4015f8b0n);
  t.is(values['pc'], 0x400c7b5cn);
  t.is(values['cpsr'], 0x600003c5n);
  t.false('v0' in values);
  t.is(decodeRegisterBlock(`xxxxxxxxxxxxxxxx${reply.slice(16)}`, layout).values['x0'], null);
  t.throws(() => decodeRegisterBlock(reply.slice(0, -2), layout), { message: /ends inside cpsr/ });
  t.throws(() => decodeRegisterBlock(`${reply}${'0'.repeat(32 + 8)}00`, layout), { message: /longer than the described registers/ });
  t.throws(() => decodeRegisterBlock('zz', layout), { message: /not hex digits/ });
});

test('malformed or foreign XML is refused with the annex named', (t) => {
  t.throws(() => parseTargetXml('<html><body>hi</body></html>', 'target.xml'), { message: /target.xml: no <target> or <feature> element/ });
  t.throws(() => parseTargetXml('<target><reg name="x0" bitsize="63"/></target>'), { message: /bitsize "63"/ });
  t.throws(() => parseTargetXml('<target><reg bitsize="64"/></target>'), { message: /bad or missing name/ });
  t.throws(() => parseTargetXml('<target><reg name=x0 bitsize=64/></target>'), { message: /malformed markup/ });
  t.throws(() => parseTargetXml('<target><xi:include/></target>'), { message: /no href/ });
  const dup = parseTargetXml('<target><reg name="a" bitsize="8" regnum="1"/><reg name="b" bitsize="8" regnum="1"/></target>');
  t.throws(() => buildRegisterLayout(dup, new Map()), { message: /both claim number 1/ });
  const missing = parseTargetXml('<target><xi:include href="nope.xml"/></target>');
  t.throws(() => buildRegisterLayout(missing, new Map()), { message: /includes "nope.xml", which the stub did not provide/ });
  t.throws(() => buildRegisterLayout(parseTargetXml('<target></target>'), new Map()), { message: /describes no registers/ });
});
