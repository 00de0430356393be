// Reports of a small hand-made run: JUnit checked by an XML parser against the structure
// Jenkins/GitLab read, TAP re-read by tap-parser, the HTML page's escaping, the trend, the CLI.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { runResult } from './helpers/run-result.js';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { Parser } from 'tap-parser';
import type { Finding } from '../harness/compare/classify.js';
import { cellFileName, type CellResult, type SummaryCell } from '../harness/matrix/cells.js';
import type { RunResult } from '../harness/runners/types.js';
import { displayText, escapeXmlAttr, jsonForScript } from '../harness/report/escape.js';
import { clientMain } from '../harness/report/html-client.js';
import { renderHtml } from '../harness/report/html.js';
import { renderJunit } from '../harness/report/junit.js';
import { markerChecks, serialTail, type ReportModel, type ReportSummary } from '../harness/report/model.js';
import { renderTap } from '../harness/report/tap.js';
import { trendRuns, trendRunOf, trendSvg } from '../harness/report/trend.js';
import { wbdiff } from './helpers/cli.js';

const EVIL = 'boot\n<script>alert(1)</script></pre>\x01\x02 raw ]]> & "quotes" \'single\'\nT1 N\n';
const CPU = 'cortex-a57';

function run(runner: 'qemu' | 'emu', partial: Partial<RunResult> = {}): RunResult {
  return runResult({ runner, cpu: CPU, reason: 'PSCI SYSTEM_OFF', durationMs: 10, ...partial });
}

function cell(
  variant: string | null,
  runner: 'qemu' | 'emu',
  outcome: SummaryCell['outcome'],
  r: RunResult,
  findings: Finding[] = [],
): { summary: SummaryCell; full: CellResult } {
  const key = { target: 'k', variant, runner, cpu: CPU };
  const id = `k/${variant ?? 'unpatched'}/${runner}/${CPU}`;
  const provenance = {
    elfHash: 'e'.repeat(64),
    sourceHash: 's'.repeat(64),
    variantHashes: variant ? ['v'.repeat(64)] : [],
    toolchain: 'gcc <12>',
  };
  const subject = `k/${variant ?? 'unpatched'}`;
  return {
    summary: {
      ...key,
      id,
      subject,
      outcome,
      findings,
      verdict: r.verdict,
      reason: r.reason,
      markers: r.markers,
      done: r.done,
      fault: r.fault,
      durationMs: r.durationMs,
      provenance,
    },
    full: { ...key, id, subject, provenance, run: r },
  };
}

const FLIP: Finding = {
  kind: 'patch-bug',
  summary: 'variant bad changes the outcome on every runner: T1 is N with bad but Y unpatched',
  evidence: [],
};

function fixture(options: { baseline?: boolean } = {}): ReportModel {
  const cells = [
    cell(null, 'qemu', 'expected', run('qemu', { markers: { T1: 'Y', tap3: 'SKIP' }, serial: 'T1 Y\nok 3 # SKIP\n', serialBytes: 17 })),
    cell(null, 'emu', 'expected', run('emu', { markers: { T1: 'Y', tap3: 'SKIP' }, serial: 'T1 Y\n', serialBytes: 5 })),
    cell(
      'bad',
      'qemu',
      'patch-bug',
      run('qemu', { markers: { T1: 'N', tap3: 'SKIP' }, serial: EVIL, serialBytes: EVIL.length, durationMs: 1234 }),
      [FLIP],
    ),
    cell(
      'bad',
      'emu',
      'infrastructure',
      run('emu', { verdict: 'error', reason: 'libunicorn.so.2 <missing>', markers: {}, done: false, durationMs: 0 }),
      [{ kind: 'infrastructure', summary: 'the run did not happen: libunicorn.so.2 <missing>', evidence: [] }],
    ),
  ];
  const summary: ReportSummary = {
    version: 1,
    runId: '2026-11-23T17-28-04Z',
    interrupted: false,
    shard: null,
    counts: { cells: 4, expected: 2, 'patch-bug': 1, infrastructure: 1 },
    cells: cells.map((c) => c.summary),
    subjects: {
      'k/bad': {
        ok: true,
        sites: [
          {
            variant: 'bad',
            edit: 0,
            op: 'redirect-calls',
            address: '0x40001000',
            location: 'main+0x10',
            old: { word: '0x94000001', asm: 'bl #0x40001004', symbolic: 'bl runtime.gcWriteBarrier' },
            new: { word: '0x94000002', asm: 'bl #0x40001008', symbolic: 'bl main.<wb>' },
          },
        ],
      },
    },
    diagnoses: {
      [`k/bad/${CPU}`]: { verdict: 'convention-bug', findings: [{ kind: 'convention-bug', text: 'x25 <not> restored & </pre>' }] },
    },
    ...(options.baseline
      ? {
          baseline: {
            runId: '2026-11-22T03-00-00Z',
            changes: [{ cell: 'k/bad/qemu/cortex-a57', kind: 'regression', text: 'regression: was expected, now patch-bug <b>bold</b>' }],
          },
        }
      : {}),
  };
  return { summary, cells: new Map(cells.map((c) => [c.full.id, c.full])), runInfo: { startedAt: '2026-11-23T17:28:04.123Z' }, trend: [] };
}

const asArray = new Set(['testsuite', 'testcase', 'property', 'failure', 'error', 'skipped', 'system-out']);
const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: false,
  htmlEntities: true,
  isArray: (name, _path, _leaf, isAttribute) => !isAttribute && asArray.has(name),
});

type Node = Record<string, unknown>;
const kids = (node: Node, name: string) => (node[name] as Node[] | undefined) ?? [];
const text = (node: Node | string) => (typeof node === 'string' ? node : String(node['#text'] ?? ''));

/** The elements and attributes of the common JUnit XML schema (Jenkins junit-10.xsd, GitLab). */
function checkJunitStructure(t: import('ava').ExecutionContext, doc: Node): void {
  const allowed: Record<string, string[]> = {
    testsuites: ['testsuite', 'name', 'tests', 'failures', 'errors', 'skipped', 'time', 'disabled'],
    testsuite: [
      'properties',
      'testcase',
      'system-out',
      'system-err',
      'name',
      'tests',
      'failures',
      'errors',
      'skipped',
      'time',
      'timestamp',
      'hostname',
      'id',
      'package',
      'disabled',
    ],
    testcase: ['skipped', 'error', 'failure', 'system-out', 'system-err', 'name', 'classname', 'time', 'assertions', 'status'],
  };
  const keys = (n: Node) => Object.keys(n).filter((k) => k !== '#text');
  const suites = doc['testsuites'] as Node;
  t.deepEqual(
    keys(suites).filter((k) => !allowed['testsuites']!.includes(k)),
    [],
  );
  for (const attr of ['name', 'tests', 'failures', 'errors', 'skipped', 'time']) t.not(suites[attr], undefined, `testsuites@${attr}`);
  for (const suite of kids(suites, 'testsuite')) {
    t.deepEqual(
      keys(suite).filter((k) => !allowed['testsuite']!.includes(k)),
      [],
      `children of ${suite['name']}`,
    );
    for (const attr of ['name', 'tests', 'failures', 'errors', 'skipped', 'time']) t.not(suite[attr], undefined, `testsuite@${attr}`);
    t.regex(String(suite['time']), /^\d+\.\d{3}$/);
    if (suite['timestamp'] !== undefined) t.regex(String(suite['timestamp']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    const cases = kids(suite, 'testcase');
    const count = (name: string) => cases.filter((c) => kids(c, name).length).length;
    t.is(Number(suite['tests']), cases.length);
    t.is(Number(suite['failures']), count('failure'));
    t.is(Number(suite['errors']), count('error'));
    t.is(Number(suite['skipped']), count('skipped'));
    for (const c of cases) {
      t.deepEqual(
        keys(c).filter((k) => !allowed['testcase']!.includes(k)),
        [],
      );
      t.truthy(c['name']);
      t.truthy(c['classname']);
      t.regex(String(c['time']), /^\d+\.\d{3}$/);
      t.true(kids(c, 'failure').length + kids(c, 'error').length + kids(c, 'skipped').length <= 1, 'one result per testcase');
    }
  }
  const total = (attr: string) => kids(suites, 'testsuite').reduce((n, s) => n + Number(s[attr]), 0);
  for (const attr of ['tests', 'failures', 'errors', 'skipped']) t.is(Number(suites[attr]), total(attr), `testsuites@${attr} is the sum`);
}

test('junit.xml is well-formed JUnit: suites per build + variant, a testcase per cell x marker and per verdict', (t) => {
  const out = renderJunit(fixture());
  t.is(XMLValidator.validate(out), true);
  t.false(/[\x00-\x08\x0b\x0c\x0e-\x1f]/.test(out), 'no character XML 1.0 forbids');
  t.false(out.includes('<script>'), 'serial output is escaped');
  const doc = xml.parse(out) as Node;
  checkJunitStructure(t, doc);
  const suites = kids(doc['testsuites'] as Node, 'testsuite');
  t.deepEqual(
    suites.map((s) => s['name']),
    ['k.unpatched', 'k.bad'],
  );
  const cases = new Map(suites.flatMap((s) => kids(s, 'testcase')).map((c) => [`${c['classname']} ${c['name']}`, c]));
  t.deepEqual(
    [...cases.keys()],
    [
      'k.unpatched T1 [qemu/cortex-a57]',
      'k.unpatched tap3 [qemu/cortex-a57]',
      'k.unpatched verdict [qemu/cortex-a57]',
      'k.unpatched T1 [emu/cortex-a57]',
      'k.unpatched tap3 [emu/cortex-a57]',
      'k.unpatched verdict [emu/cortex-a57]',
      'k.bad T1 [qemu/cortex-a57]',
      'k.bad tap3 [qemu/cortex-a57]',
      'k.bad verdict [qemu/cortex-a57]',
      'k.bad verdict [emu/cortex-a57]',
    ],
  );
  t.deepEqual(
    kids(doc['testsuites'] as Node, 'testsuite').map((s) => [s['tests'], s['failures'], s['errors'], s['skipped']]),
    [
      ['6', '0', '0', '2'],
      ['4', '2', '1', '1'],
    ],
  );

  const flipped = kids(cases.get('k.bad T1 [qemu/cortex-a57]')!, 'failure')[0]!;
  t.is(flipped['type'], 'patch-bug');
  t.regex(String(flipped['message']), /T1 is N with bad but Y unpatched/);
  const verdict = cases.get('k.bad verdict [qemu/cortex-a57]')!;
  const failure = kids(verdict, 'failure')[0]!;
  t.regex(
    text(failure),
    /diagnosis \(emulator trace of redirected calls\): convention-bug\n {2}\[convention-bug\] x25 <not> restored & <\/pre>/,
  );
  t.is(verdict['time'], '1.234');
  const serial = text(kids(verdict, 'system-out')[0] as unknown as string);
  t.true(serial.includes('<script>alert(1)</script></pre>\\x01\\x02 raw ]]> & "quotes" \'single\''), serial);
  t.regex(serial, /^serial output of k\/bad\/qemu\/cortex-a57 \(\d+ bytes\):/);

  const infra = cases.get('k.bad verdict [emu/cortex-a57]')!;
  t.is(kids(infra, 'failure').length, 0, 'an infrastructure error is never a failure');
  t.is(kids(infra, 'error')[0]!['type'], 'infrastructure');
  t.regex(String(kids(infra, 'error')[0]!['message']), /libunicorn\.so\.2 <missing>/);
  t.is(String(kids(cases.get('k.unpatched tap3 [emu/cortex-a57]')!, 'skipped')[0]!['message']), 'the kernel marked tap3 SKIP');
  t.is(kids(cases.get('k.unpatched verdict [qemu/cortex-a57]')!, 'system-out').length, 0, 'serial only for failing cells');
});

test('attribute values keep tabs and newlines and drop nothing', (t) => {
  const doc = xml.parse(`<a v="${escapeXmlAttr('x\ty\nz\r\x01\ud800 <&>"\'')}"/>`) as Node;
  t.is((doc['a'] as Node)['v'], 'x\ty\nz\r\\x01\\u{d800} <&>"\'');
});

test('results.tap is TAP 13 that tap-parser reads back: pass/fail/skip and the YAML diagnostics', async (t) => {
  const tap = renderTap(fixture({ baseline: true }));
  t.true(tap.startsWith('TAP version 13\n'));
  const asserts: { ok: boolean; name: string; skip: string | boolean; diag: Record<string, any> | null }[] = [];
  const parser = new Parser();
  parser.on('assert', (a) => asserts.push(a));
  const done = new Promise<any>((resolve) => parser.on('complete', resolve));
  parser.end(tap);
  const final = await done;
  t.true(final.ok === false);
  t.is(final.count, 4);
  t.is(final.plan.end, 4);
  t.is(final.pass, 3);
  t.is(final.fail, 1);
  t.is(final.skip, 1);
  t.deepEqual(
    final.failures.map((f: { name: string }) => f.name),
    ['k/bad/qemu/cortex-a57'],
  );
  t.deepEqual(
    asserts.map((a) => [a.ok, a.name]),
    [
      [true, 'k/unpatched/qemu/cortex-a57'],
      [true, 'k/unpatched/emu/cortex-a57'],
      [false, 'k/bad/qemu/cortex-a57'],
      [true, 'k/bad/emu/cortex-a57'],
    ],
  );
  const bad = asserts[2]!.diag!;
  t.is(bad['outcome'], 'patch-bug');
  t.is(bad['verdict'], 'completed');
  t.deepEqual(bad['markers'], { T1: 'N', tap3: 'SKIP' });
  t.is(bad['findings'][0].summary, FLIP.summary);
  t.deepEqual(bad['diagnosis'], { verdict: 'convention-bug', findings: ['[convention-bug] x25 <not> restored & </pre>'] });
  t.deepEqual(bad['baseline'], ['regression: regression: was expected, now patch-bug <b>bold</b>']);
  t.regex(String(asserts[3]!.skip), /^infrastructure error: libunicorn\.so\.2 <missing>/);
  t.is(asserts[3]!.diag!['outcome'], 'infrastructure');
});

test('a cell name with "#" and a reason with newlines cannot become a TAP directive', async (t) => {
  const model = fixture();
  const odd = { ...model.summary.cells[3]!, id: 'odd # TODO name/x', reason: 'line one\n# SKIP two\nnot ok 9' };
  const tap = renderTap({ ...model, summary: { ...model.summary, cells: [model.summary.cells[2]!, odd] } });
  const parser = new Parser();
  const names: string[] = [];
  parser.on('assert', (a) => names.push(a.name));
  const done = new Promise<any>((resolve) => parser.on('complete', resolve));
  parser.end(tap);
  const final = await done;
  t.is(final.count, 2);
  t.is(final.todo, 0);
  t.deepEqual(names, ['k/bad/qemu/cortex-a57', 'odd # TODO name/x']);
});

test('index.html: kernel text stays text, data is JSON with "<" escaped, one script of ours, no network', (t) => {
  const html = renderHtml(fixture({ baseline: true }));
  t.false(html.includes('<script>alert(1)'), 'no kernel script in the markup');
  t.false(html.includes('<b>bold</b>'), 'baseline text escaped');
  t.true(html.includes('regression: was expected, now patch-bug &lt;b&gt;bold&lt;/b&gt;'));
  t.is(html.match(/<script\b/g)!.length, 2, 'the JSON data and the page script only');
  t.is(html.match(/<\/script>/g)!.length, 2);
  t.false(/\b(?:src|href)\s*=/.test(html), 'nothing to fetch');
  t.deepEqual(html.match(/https?:\/\/[^"\s]*/g), ['http://www.w3.org/2000/svg'], 'only the SVG namespace');
  t.false(/[\x00-\x08\x0b\x0c\x0e-\x1f]/.test(html), 'no raw control characters');
  // The CSP allows exactly the page's own script, by hash.
  const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
  const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)![1]!.replace(/&#39;/g, "'");
  t.regex(csp, /default-src 'none'/);
  t.true(csp.includes(`script-src 'sha256-${createHashB64(script)}'`));
  // The data round-trips: the serial comes back byte for byte as display text.
  const json = /<script type="application\/json" id="wbdiff-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
  t.false(json.includes('<'));
  const data = JSON.parse(json);
  const bad = data.cells.find((c: { id: string }) => c.id === 'k/bad/qemu/cortex-a57');
  t.true(bad.serial.includes('<script>alert(1)</script></pre>\\x01\\x02 raw ]]>'));
  t.deepEqual(bad.diagnosis.findings, [{ kind: 'convention-bug', text: 'x25 <not> restored & </pre>' }]);
  t.is(data.sites['k/bad'][0].new.symbolic, 'bl main.<wb>');
  t.deepEqual(
    bad.changes.map((c: { kind: string }) => c.kind),
    ['regression'],
  );
  // The matrix: one td per cell with its id and outcome; the baseline on top.
  const tds = [...html.matchAll(/<td class="cell [^"]*" data-cell="([^"]+)" data-outcome="([^"]+)"/g)].map((m) => [m[1], m[2]]);
  t.deepEqual(
    tds,
    fixture().summary.cells.map((c) => [c.id, c.outcome]),
  );
  t.true(html.indexOf('id="baseline"') < html.indexOf('id="matrix"'));
  t.regex(html, /data-change-kind="regression" data-change-cell="k\/bad\/qemu\/cortex-a57"/);
  t.regex(renderHtml(fixture()), /id="no-baseline">no baseline/);
  // The page script builds nodes with textContent only.
  t.false(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/.test(clientMain.toString()));
});

test('jsonForScript cannot close its element or open a comment', (t) => {
  const s = jsonForScript({ a: '</script><!-- \u2028 & >' });
  t.false(/[<>&\u2028]/.test(s));
  t.deepEqual(JSON.parse(s), { a: '</script><!-- \u2028 & >' });
});

test('marker checks: SKIP skipped, flipped markers fail, an expected cell passes even with N', (t) => {
  const { summary } = fixture();
  t.deepEqual(
    markerChecks(summary.cells, summary.cells[2]!).map((m) => m.status),
    ['fail', 'skip'],
  );
  const expectedN = { ...summary.cells[0]!, markers: { T1: 'N' } };
  t.deepEqual(
    markerChecks([expectedN], expectedN).map((m) => m.status),
    ['pass'],
  );
  const parity = {
    ...summary.cells[2]!,
    outcome: 'parity-divergence' as const,
    findings: [{ kind: 'parity-divergence' as const, summary: 'differs: MIDR is 0x1 on qemu but 0x2 on emu', evidence: [] }],
    markers: { MIDR: '0x1', T1: 'Y' },
  };
  t.deepEqual(
    markerChecks([summary.cells[0]!, parity], parity).map((m) => [m.id, m.status]),
    [
      ['MIDR', 'fail'],
      ['T1', 'pass'],
    ],
  );
});

test('serial display: CRLF kept as lines, lone CR and control bytes visible, tail limited', (t) => {
  t.is(displayText('a\r\nb\rc\x01\x7f\td'), 'a\nb\\rc\\x01\\x7f\td');
  const tail = serialTail(`${Array.from({ length: 10 }, (_, i) => `line ${i}`).join('\n')}\n`, { maxLines: 3, maxChars: 1000 });
  t.deepEqual(tail, { text: 'line 7\nline 8\nline 9', omittedLines: 7, truncated: true });
  t.false(serialTail('x\n', { maxLines: 3, maxChars: 1000 }).truncated);
});

test('trend: one point per run (two runs a day are two), ordered by start; partial runs are left out', (t) => {
  const s = (runId: string, outcomes: string[], regressions: number | null, extra: object = {}) => ({
    runId,
    cells: outcomes.map((outcome) => ({ outcome })),
    baseline:
      regressions === null
        ? null
        : { changes: Array.from({ length: regressions }, () => ({ kind: 'regression' })).concat([{ kind: 'fix' }]) },
    ...extra,
  });
  const runs = [
    trendRunOf(s('2026-11-22T09-00-00Z', ['expected', 'patch-bug', 'infrastructure', 'known'], 2), '2026-11-22'),
    trendRunOf(s('2026-11-21T03-00-00Z', ['expected', 'expected', 'cpu-dependent'], null), '2026-11-21'),
    trendRunOf(s('2026-11-22T03-00-00Z', ['expected', 'patch-bug'], 1), '2026-11-22'),
    trendRunOf(s('2026-11-22T10-00-00Z', ['expected'], 0, { interrupted: true }), '2026-11-22'),
    trendRunOf(s('2026-11-22T11-00-00Z', ['expected'], 0, { shard: { index: 0, count: 2 } }), '2026-11-22'),
  ].filter((r) => r !== null);
  t.is(runs.length, 3);
  t.deepEqual(
    trendRuns(runs).map((r) => [r.runId, r.expected, r.notExpected, r.known, r.infrastructure, r.regressions]),
    [
      ['2026-11-21T03-00-00Z', 3, 0, 0, 0, null],
      ['2026-11-22T03-00-00Z', 1, 1, 0, 0, 1],
      ['2026-11-22T09-00-00Z', 1, 1, 1, 1, 2],
    ],
  );
  const svg = trendSvg(trendRuns(runs));
  t.is((svg.match(/<g class="run"/g) ?? []).length, 3);
  t.regex(svg, />11-22<\/text><text [^>]*>09:00</);
  t.regex(svg, /1 infrastructure error; 2 regressions/);
});

/** A results folder on disk: summary.json, cells/, run.json, and an older sibling run. */
async function resultsOnDisk(): Promise<{ root: string; dir: string }> {
  const root = await mkdtemp(join(tmpdir(), 'wbdiff-report-'));
  const model = fixture({ baseline: true });
  const dir = join(root, model.summary.runId);
  for (const c of model.cells.values()) {
    await mkdir(join(dir, 'cells'), { recursive: true });
    await writeFile(join(dir, 'cells', cellFileName(c)), JSON.stringify({ version: 1, ...c }));
  }
  await writeFile(join(dir, 'summary.json'), JSON.stringify(model.summary));
  await writeFile(
    join(dir, 'run.json'),
    JSON.stringify({ version: 1, runId: model.summary.runId, config: { kernels: [], baseDir: root }, ...model.runInfo }),
  );
  const older = join(root, '2026-11-22T03-00-00Z');
  await mkdir(older);
  await writeFile(
    join(older, 'summary.json'),
    JSON.stringify({
      ...model.summary,
      runId: '2026-11-22T03-00-00Z',
      baseline: null,
      cells: model.summary.cells.map((c) => ({ ...c, outcome: 'expected' })),
    }),
  );
  return { root, dir };
}

test('wbdiff report writes the three files into the results folder and prints their paths', async (t) => {
  const { dir } = await resultsOnDisk();
  const result = await wbdiff(['report', dir]);
  t.is(result.exitCode, 0, result.stderr);
  const paths = result.stdout.trim().split('\n');
  t.deepEqual(
    paths,
    ['junit.xml', 'results.tap', 'index.html'].map((f) => join(dir, f)),
  );
  const html = await readFile(join(dir, 'index.html'), 'utf8');
  t.deepEqual(
    [
      ...html.matchAll(
        /data-run="([^"]+)" data-day="[^"]+" data-expected="(\d+)" data-not-expected="(\d+)" data-known="\d+" data-regressions="(\d*)"/g,
      ),
    ].map((m) => m.slice(1)),
    [
      ['2026-11-22T03-00-00Z', '4', '0', ''],
      ['2026-11-23T17-28-04Z', '2', '1', '1'],
    ],
  );
  t.false(html.includes('<script>alert(1)'));
  t.is(XMLValidator.validate(await readFile(join(dir, 'junit.xml'), 'utf8')), true);
});

test('wbdiff report --out writes elsewhere; a folder without summary.json is exit 2 with a clear message', async (t) => {
  const { dir, root } = await resultsOnDisk();
  const out = join(root, 'elsewhere');
  const result = await wbdiff(['report', dir, '--out', out]);
  t.is(result.exitCode, 0, result.stderr);
  t.true(existsSync(join(out, 'index.html')) && existsSync(join(out, 'junit.xml')) && existsSync(join(out, 'results.tap')));
  t.false(existsSync(join(dir, 'index.html')));
  const empty = await mkdtemp(join(tmpdir(), 'wbdiff-report-empty-'));
  const bad = await wbdiff(['report', empty]);
  t.is(bad.exitCode, 2);
  t.regex(bad.stderr, /no summary\.json here: not a finished wbdiff matrix run/);
  t.regex(bad.stderr, /hint: give the folder of a matrix run/);
  const none = await wbdiff(['report']);
  t.is(none.exitCode, 2);
  t.regex(none.stderr, /which results folder\?/);
});

function createHashB64(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64');
}
