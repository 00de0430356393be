import test from 'ava';
import { decodeSerial } from '../../harness/markers/decode.js';
import { parseMarkers, splitLines } from '../../harness/markers/parse.js';

const bytes = (s: string) => new TextEncoder().encode(s);

test('T markers anywhere on a line, after prefixes, LF or CRLF', (t) => {
  const r = parseMarkers(bytes('boot\nT1 Y\r\nnoise> T2 N\r\n[  0.001] T3 Y\nDONE\n'));
  t.deepEqual(r.markers, { T1: 'Y', T2: 'N', T3: 'Y' });
  t.true(r.done);
  t.deepEqual(r.conflicts, []);
});

test('markers glued to words or with other words do not count', (t) => {
  const r = parseMarkers('PT1 Y\nT4 maybe\nT5 Yes\nxT6 N\nT7  N\n');
  t.deepEqual(r.markers, { T7: 'N' });
});

test('a marker repeated with a different value is a conflict, not last-wins', (t) => {
  const r = parseMarkers('T3 Y\nT1 Y\nT3 N\nT1 Y\n');
  t.is(r.markers['T3'], 'Y/N');
  t.is(r.markers['T1'], 'Y');
  t.deepEqual(r.conflicts, [{ id: 'T3', values: ['Y', 'N'], lines: [1, 3] }]);
});

test('non-UTF-8 bytes survive as \\xNN escapes and never hide markers', (t) => {
  const raw = new Uint8Array([0xff, 0xfe, 0x54, 0x31, 0x20, 0x59, 0x0a, 0xe2, 0x82, 0xac, 0x0a, 0x1b, 0x0a]);
  const r = parseMarkers(raw);
  t.is(r.serial, '\\xff\\xfeT1 Y\n€\n\\x1b\n');
  t.deepEqual(r.markers, { T1: 'Y' });
});

test('decodeSerial rejects overlong and truncated UTF-8', (t) => {
  t.is(decodeSerial(new Uint8Array([0xc0, 0x80])), '\\xc0\\x80');
  t.is(decodeSerial(new Uint8Array([0xe2, 0x82])), '\\xe2\\x82');
  t.is(decodeSerial(new Uint8Array([0xed, 0xa0, 0x80])), '\\xed\\xa0\\x80');
});

test('DONE only as the last word of a line', (t) => {
  t.true(parseMarkers('noise> DONE\n').done);
  t.true(parseMarkers('DONE\r\n').done);
  t.false(parseMarkers('NOT DONE YET\n').done);
  t.false(parseMarkers('UNDONE\n').done);
});

test('TAP 13 points become markers with SKIP and TODO', (t) => {
  const r = parseMarkers('junk\nTAP version 13\n1..4\nok 1 - a\nnot ok 2 - b # TODO later\nok 3 - c # SKIP no hw\nnot ok 4 - d\nDONE\n');
  t.deepEqual(r.markers, { tap1: 'Y', tap2: 'TODO', tap3: 'SKIP', tap4: 'N' });
  t.truthy(r.tap);
  t.is(r.tap!.count, 4);
  t.is(r.tap!.fail, 1);
  t.deepEqual(r.tap!.plan, { start: 1, end: 4 });
});

test('custom result patterns with named groups and a value map', (t) => {
  const r = parseMarkers('PASS: uart\nFAIL: timer\nMIDR=0x411fd070\n', {
    resultPatterns: [
      { regex: '^(?<result>PASS|FAIL): (?<id>\\w+)', map: { PASS: 'Y', FAIL: 'N' } },
      { regex: '(?<id>MIDR)=(?<result>\\S+)' },
    ],
  });
  t.deepEqual(r.markers, { uart: 'Y', timer: 'N', MIDR: '0x411fd070' });
});

test('splitLines drops one trailing newline and CRs', (t) => {
  t.deepEqual(splitLines('a\r\nb\n'), ['a', 'b']);
  t.deepEqual(splitLines('a\n\nb'), ['a', '', 'b']);
});
