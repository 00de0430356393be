// Pure pieces of the hostile-input fixes (issue 13): bounded pattern matching, TAP escaping,
// limits on numbers, the serial decoder's output.
import test from 'ava';
import { MAX_TIMER_MS, parsePositiveInt } from '../../harness/cli/args.js';
import { decodeSerial } from '../../harness/markers/decode.js';
import { parseMarkers, validatePattern } from '../../harness/markers/parse.js';
import { globMatches } from '../../harness/util/glob.js';
import { tapDescription } from '../../harness/report/escape.js';
import { backtrackingRisk, safeRegExp } from '../../harness/util/safe-regex.js';

test('glob expect patterns: "*" is any run, matched whole, in bounded time however many stars', (t) => {
  t.true(globMatches('bl runtime.gcwritebarrier', 'bl runtime.gcwritebarrier'));
  t.true(globMatches('cbnz w*, *', 'cbnz w0, 0x40001000'));
  t.true(globMatches('*', ''));
  t.true(globMatches('a*b*c', 'aXbYc'));
  t.false(globMatches('a*b*c', 'aXbYcd'));
  t.false(globMatches('bl *', 'b 0x10'));
  t.true(globMatches('*a*a*a', 'aaa'));
  // As regexes ".*" x 40 + "zz" would try ~10^20 splits: here a few thousand steps.
  t.false(globMatches(`${'*'.repeat(40)}zz`, 'movz x0, 0x30, lsl 16'.repeat(4)));
  t.false(globMatches(`${'*a'.repeat(30)}b`, 'a'.repeat(60)));
});

test('result patterns run on the linear-time engine; what it cannot take is judged by shape', (t) => {
  const nested = safeRegExp('(?<id>x)(?<result>(a*)*b)', 'g');
  t.is([...`x${'a'.repeat(100_000)}`.matchAll(nested)].length, 0, 'no exponential backtracking');
  t.deepEqual(
    [...'T1=ok'.matchAll(safeRegExp('(?<id>T\\d)=(?<result>\\w+)', 'g'))].map((m) => m.groups?.['result']),
    ['ok'],
  );
  t.throws(() => safeRegExp('(a+)+b', 'i'), { message: /the group \(a\+\) is repeated and itself repeats or alternates/ });
  t.throws(() => safeRegExp('(a|ab)*c', 'i'), { message: /exponential/ });
  t.throws(() => safeRegExp('(a)\\1*', ''), { message: /repeated backreference/ });
  t.notThrows(() => safeRegExp('(?<id>MIDR|CURRENTEL)=(?<result>\\S+)', 'i'), 'alternation not repeated: fine');
  t.notThrows(() => safeRegExp('(?<=x)(?<id>a)(?<result>b+)', ''), 'lookbehind with a flat shape: fine');
  t.is(backtrackingRisk('[(a+)]+(b{2})*c?'), null, 'classes and fixed counts do not count');
  t.is(backtrackingRisk('((a)b)*'), null);
  t.regex(backtrackingRisk('((a+)b)*') ?? '', /exponential/);
  t.throws(() => safeRegExp('(', ''), { instanceOf: SyntaxError });
  t.regex(validatePattern({ regex: '(?<id>x)(?<result>(a+)+)', flags: 'i' }) ?? '', /exponential/);
  t.is(validatePattern({ regex: '(?<id>x)(?<result>(a+)+)' }), null, 'linear engine: accepted');
  const report = parseMarkers(`x${'a'.repeat(50_000)}\nCOUNT=1f\n`, {
    resultPatterns: [{ regex: '(?<id>COUNT)=(?<result>([0-9a-f]+)+)' }],
  });
  t.deepEqual(report.markers, { COUNT: '1f' });
});

test('TAP descriptions carry no raw NUL, ESC or other control bytes', (t) => {
  const name = tapDescription('k\x00\x1b[31mred\x07/x # y\\z');
  t.is(name, 'k\\x00\\x1b[31mred\\x07/x \\# y\\\\z');
  t.false(/[\x00-\x1f\x7f]/.test(name));
});

test('numbers that become timers are capped at 2^31 - 1 with a clear message', (t) => {
  t.is(parsePositiveInt(String(MAX_TIMER_MS), '--timeout'), MAX_TIMER_MS);
  t.throws(() => parsePositiveInt('2147483648', '--timeout'), { message: /--timeout 2147483648 is too large: at most 2147483647/ });
  t.throws(() => parsePositiveInt('1e400', '--repeat'), { message: /positive whole number/ });
});

test('the serial decoder keeps text, escapes control and invalid bytes, and is linear in memory', (t) => {
  const bytes = Buffer.concat([Buffer.from('T1 Y\r\n\x00é\t'), Buffer.from([0xff, 0xe2, 0x82]), Buffer.from('€ok\x1b')]);
  t.is(decodeSerial(bytes), 'T1 Y\r\n\\x00é\t\\xff\\xe2\\x82€ok\\x1b');
  t.is(decodeSerial(bytes, { invalid: 'space' }), 'T1 Y\r\n é\t   €ok ');
  t.is(decodeSerial(new Uint8Array(1 << 20)).length, 4 << 20);
});
