// index.html in a real browser: headless Debian Chromium driven by playwright-core. A real small
// matrix is run, a kernel's serial output is made hostile, the report is written, and the page
// is checked against summary.json: cells and outcomes, details on click, filters, no injected
// script running, no console error (a CSP violation would be one). Ends with a screenshot.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import test from 'ava';
import { chromium } from 'playwright-core';
import { cellFileName, type CellResult } from '../harness/matrix/cells.js';
import { loadMatrixConfig } from '../harness/matrix/config.js';
import { runMatrix } from '../harness/matrix/run-matrix.js';
import { ResultsStore } from '../harness/matrix/store.js';
import { RESULTS_DIR } from '../harness/paths.js';
import { writeRunReports } from '../harness/report/index.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const HOSTILE = 'boot\n<script>window.__pwned = 1</script></pre><img src=x onerror="window.__pwned = 2">\x01 done\n';

test('index.html in headless Chromium: matrix matches summary.json, a click shows the serial, nothing injected runs', async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.fail(`${CHROMIUM} is missing: install the Debian package "chromium" (apt-get install -y chromium; scripts/setup.sh does it)`);
    return;
  }
  // A real matrix in a results root of its own, with a run id for a folder name as wbdiff makes.
  const root = await mkdtemp(join(tmpdir(), 'wbdiff-report-browser-'));
  const runId = new Date()
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.\d+Z$/, 'Z');
  const dir = join(root, runId);
  const configPath = join(root, 'config.json');
  await writeFile(
    configPath,
    JSON.stringify({
      kernels: [{ kernel: 'hello' }, { kernel: 'gowb@go1.19', variants: ['seed-barrier'] }],
      known: [{ cells: 'gowb@go1.19/seed-barrier/emu/*', reason: 'the seed bug, tracked upstream', link: 'https://example.org/issues/1' }],
    }),
  );
  const { diagnoseSubjects } = await import('../harness/diagnose/matrix.js');
  const summary = await runMatrix({
    config: await loadMatrixConfig(configPath),
    store: new ResultsStore(dir),
    runId,
    diagnose: diagnoseSubjects,
    argv: ['wbdiff', 'matrix', '--config', configPath],
  });
  t.is(summary.cells.length, 6);

  // A kernel that prints markup, and a baseline diff whose text carries some too.
  const hello = summary.cells.find((c) => c.id === 'hello/unpatched/qemu/cortex-a57')!;
  const seed = summary.cells.find((c) => c.id === 'gowb@go1.19/seed-barrier/qemu/cortex-a57')!;
  const cellPath = join(dir, 'cells', cellFileName(hello));
  const cell = JSON.parse(await readFile(cellPath, 'utf8')) as CellResult;
  await writeFile(cellPath, JSON.stringify({ ...cell, run: { ...cell.run, serial: HOSTILE + cell.run.serial } }));
  const onDisk = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8'));
  onDisk.baseline = {
    runId: 'an-earlier-run',
    changes: [{ cell: seed.id, kind: 'regression', text: 'regression: <script>window.__pwned = 3</script>' }],
  };
  await writeFile(join(dir, 'summary.json'), JSON.stringify(onDisk));
  // An earlier day beside it, for the trend.
  await mkdir(join(root, '2026-01-02T03-04-05Z'));
  await writeFile(
    join(root, '2026-01-02T03-04-05Z', 'summary.json'),
    JSON.stringify({ ...onDisk, runId: '2026-01-02T03-04-05Z', baseline: null }),
  );

  const written = await writeRunReports(dir);
  t.deepEqual(
    written.map((w) => [w.reporter, w.error]),
    [
      ['junit', undefined],
      ['tap', undefined],
      ['html', undefined],
    ],
  );

  const profile = await mkdtemp(join(tmpdir(), 'wbdiff-chromium-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1500, height: 950 },
  });
  t.teardown(async () => {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  const url = pathToFileURL(join(dir, 'index.html')).href;
  await page.goto(url);

  // The matrix: one cell per summary cell, each with its outcome.
  const cells = await page.$$eval('td[data-cell]', (tds) =>
    tds.map((td) => [(td as HTMLElement).dataset['cell'], (td as HTMLElement).dataset['outcome']]),
  );
  t.deepEqual(cells.sort(), summary.cells.map((c) => [c.id, c.outcome]).sort());
  t.is(await page.textContent('#run-id'), runId);
  t.is(await page.locator('#baseline li.change[data-change-kind="regression"]').count(), 1);
  t.regex((await page.textContent('#baseline'))!, /regression: <script>window.__pwned = 3<\/script>/);
  t.deepEqual(
    await page.$$eval('#trend g.run', (gs) => gs.map((g) => (g as SVGGElement).dataset['run'])),
    ['2026-01-02T03-04-05Z', runId],
    'one bar per run',
  );

  // Morning triage: the header counts, the regressed cell marked, known failures apart, the environment.
  const headline = async (what: string) => (await page.textContent(`#headline [data-headline="${what}"]`))!.trim();
  t.is(await headline('failing'), '1 failing cell');
  t.is(await headline('regressions'), '1 regression');
  t.is(await headline('known'), '1 known failure');
  t.is(await headline('new'), '0 new cells');
  t.is(await page.locator('td[data-regressed]').count(), 1);
  t.is(await page.getAttribute('td[data-regressed]', 'data-cell'), seed.id);
  t.regex((await page.textContent('td[data-regressed]'))!, /regressed/);
  const emuSeed = 'gowb@go1.19/seed-barrier/emu/cortex-a57';
  t.is(await page.getAttribute(`[data-cell="${emuSeed}"]`, 'data-outcome'), 'known');
  t.regex((await page.textContent(`#known [data-known-cell="${emuSeed}"]`))!, /convention-bug: the seed bug, tracked upstream/);
  t.regex((await page.textContent('#environment [data-env="QEMU"]'))!, /QEMU emulator version/);
  t.regex((await page.textContent('#environment [data-env="Unicorn"]'))!, /^2\./);
  t.regex((await page.textContent('#environment [data-env="command line"]'))!, /^wbdiff matrix --config .*config\.json$/);
  t.regex((await page.textContent('#counts'))!, /6 cells/);

  // Click the cell whose kernel printed markup: its serial shows as text, and nothing ran.
  await page.click(`[data-cell="${hello.id}"]`);
  await page.waitForSelector('#details:not([hidden])');
  const serial = await page.textContent('#details pre.serial');
  t.true(serial!.includes('<script>window.__pwned = 1</script></pre><img src=x onerror="window.__pwned = 2">\\x01 done'), serial!);
  t.true(serial!.includes('T1 Y'));
  t.is(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  t.is(await page.locator('script').count(), 2, 'only the page data and the page script');
  t.is(await page.locator('img').count(), 0);

  // The convention bug: findings, markers, patched sites, each diagnosis text once.
  await page.click(`[data-cell="${seed.id}"]`);
  const details = (await page.textContent('#details-body'))!;
  t.regex(details, /variant seed-barrier changes the outcome on every runner: T1 is N with seed-barrier but Y unpatched/);
  const diagnosisText = seed.findings.find((f) => f.kind === 'convention-bug')!.summary;
  t.is(details.split(diagnosisText).length - 1, 1, 'the diagnosis is said once');
  // The serial output is on screen without scrolling past the evidence.
  const box = (await page.locator('#details pre.serial').boundingBox())!;
  t.true(box.y < 950 - 40, `serial at y=${box.y}`);
  t.regex(details, /bl runtime\.gcWriteBarrier/);
  t.regex(details, /regression: <script>/);
  t.regex((await page.textContent('#details pre.serial'))!, /T1 N/);
  t.is(await page.getAttribute(`[data-cell="${seed.id}"]`, 'class'), 'cell o-convention-bug regressed selected');

  // Filters: by outcome, then by text.
  const visible = () => page.locator('td[data-cell]:not(.out)').count();
  await page.uncheck('input[data-filter-outcome="expected"]');
  t.is(await visible(), summary.cells.filter((c) => c.outcome !== 'expected').length);
  await page.check('input[data-filter-outcome="expected"]');
  await page.fill('#filter-text', 'hello');
  t.is(await visible(), 2);
  t.is(await page.locator('tr[data-row]:not(.out)').count(), 1);
  t.regex((await page.textContent('#shown'))!, /^2 of 6 cells shown$/);
  await page.fill('#filter-text', '');

  await mkdir(RESULTS_DIR, { recursive: true });
  const shot = join(RESULTS_DIR, 'report-screenshot.png');
  await page.screenshot({ path: shot });
  t.log(`screenshot: ${shot}`);
  await page.keyboard.press('Escape');
  t.true(await page.locator('#details').isHidden());

  t.deepEqual(problems, [], 'no console errors (a CSP violation would be one)');
  t.deepEqual(
    requests.filter((r) => r !== url),
    [],
    'the page fetches nothing',
  );
  await rm(root, { recursive: true, force: true });
});
