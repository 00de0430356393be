// index.html: one self-contained page (inline CSS and script, system fonts, no network; a
// Content-Security-Policy that allows only this page's own script and style, by hash). Static
// parts are rendered here with every string escaped; the cell details are built in the browser
// from JSON embedded as <script type="application/json"> with "<" written as \u003c. Pure.
import { createHash } from 'node:crypto';
import type { SummaryCell } from '../matrix/cells.js';
import { displayText, escapeHtml, jsonForScript } from './escape.js';
import { clientMain, type PageCell, type PageData } from './html-client.js';
import { PAGE_CSS } from './html-style.js';
import {
  changesFor,
  diagnosisFor,
  diagnosisOnce,
  formatMarkers,
  headline,
  markerChecks,
  matrixGrid,
  placeName,
  rowName,
  serialTail,
  type PatchedSite,
  type ReportModel,
  type Reporter,
} from './model.js';
import { OUTCOME_LABEL, OUTCOME_MEANING, OUTCOME_ORDER, isOutcome } from './outcomes.js';
import { isFailing } from '../compare/classify.js';
import { plural } from './terminal.js';
import { trendSvg } from './trend.js';

/** Serial output kept per cell in the page: the end of it, where a failure shows. */
const SERIAL_LIMITS = { maxLines: 2000, maxChars: 64 * 1024 };
const DETAILS_LIMIT = 8 * 1024;

const CLIENT_SCRIPT = `\n(${clientMain.toString()})();\n`;

export function renderHtml(model: ReportModel): string {
  const { summary } = model;
  const data = pageData(model);
  const css = PAGE_CSS;
  const csp = [
    "default-src 'none'",
    `script-src '${sha256(CLIENT_SCRIPT)}'`,
    `style-src '${sha256(css)}'`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const started = model.runInfo?.startedAt;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="wbdiff report">
<title>wbdiff · ${escapeHtml(summary.runId)}</title>
<style>${css}</style>
</head>
<body>
<header class="top">
<div class="title"><h1>wbdiff <span>matrix report</span></h1>
<div class="run">run <code id="run-id">${escapeHtml(summary.runId)}</code>${started ? ` · started ${escapeHtml(started)}` : ''}${summary.shard ? ` · shard ${summary.shard.index + 1}/${summary.shard.count}` : ''}${summary.interrupted ? ' · <b>interrupted</b>' : ''}</div></div>
${renderHeadline(model)}
${renderCounts(model)}
</header>
<main>
<div class="top-grid">
${renderBaseline(model)}
${renderTrend(model)}
</div>
${renderKnownPanel(model)}
${renderMatrix(model)}
${renderEnvironment(model)}
</main>
<aside id="details" class="details" hidden aria-labelledby="details-title">
<div class="details-head"><h2 id="details-title"></h2><button type="button" id="details-close" title="close (Esc)" aria-label="close">×</button></div>
<div id="details-body"></div>
</aside>
<footer>Written by <code>wbdiff report</code>. Every outcome: ${OUTCOME_ORDER.map((o) => `<b>${escapeHtml(o)}</b> — ${escapeHtml(OUTCOME_MEANING[o])}`).join('; ')}.</footer>
<script type="application/json" id="wbdiff-data">${jsonForScript(data)}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}

function sha256(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}

/** What morning triage reads first: failing, regressions, known, new; each links to its cells. */
function renderHeadline(model: ReportModel): string {
  const { summary } = model;
  const changes = summary.baseline?.changes ?? [];
  const failing = summary.cells.filter((c) => isFailing(c.outcome)).length;
  const regressions = changes.filter((c) => c.kind === 'regression').length;
  const known = summary.cells.filter((c) => c.outcome === 'known').length;
  const fresh = changes.filter((c) => c.kind === 'new').length;
  const items = [
    `<li class="h-failing${failing ? ' bad' : ' good'}" data-headline="failing" data-count="${failing}">${failing ? `<b>${plural(failing, 'failing cell')}</b>` : 'nothing failing'}</li>`,
    summary.baseline
      ? `<li class="h-regressions${regressions ? ' bad' : ''}" data-headline="regressions" data-count="${regressions}"><b>${plural(regressions, 'regression')}</b></li>`
      : '<li class="h-regressions" data-headline="regressions" data-count="">no baseline</li>',
    `<li class="h-known" data-headline="known" data-count="${known}">${plural(known, 'known failure')}</li>`,
    summary.baseline ? `<li class="h-new" data-headline="new" data-count="${fresh}">${plural(fresh, 'new cell')}</li>` : '',
  ];
  return `<ul class="headline" id="headline">${items.join('')}</ul>`;
}

function renderCounts(model: ReportModel): string {
  const { summary } = model;
  const items = [`<li class="total"><b>${summary.cells.length}</b> ${summary.cells.length === 1 ? 'cell' : 'cells'}</li>`];
  for (const o of OUTCOME_ORDER) {
    const n = summary.cells.filter((c) => c.outcome === o).length;
    if (n)
      items.push(
        `<li class="count o-${o}" data-outcome="${o}" data-count="${n}" title="${escapeHtml(`show only ${o}: ${OUTCOME_MEANING[o]}`)}"><b>${n}</b> ${escapeHtml(o)}</li>`,
      );
  }
  const flaky = summary.cells.filter((c) => c.flaky).length;
  if (flaky) items.push(`<li class="total" data-flaky="${flaky}"><b>${flaky}</b> flaky</li>`);
  return `<ul class="counts" id="counts">${items.join('')}</ul>`;
}

const CHANGE_ORDER = ['regression', 'infrastructure', 'not-run', 'flaky', 'changed', 'changed-diagnosis', 'new', 'known', 'gone', 'fix'];

/** "2 regressions", "1 fix", "3 new cells", "1 cell not run". */
function changeCount(kind: string, n: number): string {
  const words: Record<string, [string, string]> = {
    regression: ['regression', 'regressions'],
    fix: ['fix', 'fixes'],
    new: ['new cell', 'new cells'],
    gone: ['cell gone', 'cells gone'],
    'not-run': ['cell not run', 'cells not run'],
    known: ['now known', 'now known'],
    flaky: ['flaky cell', 'flaky cells'],
    changed: ['changed cell', 'changed cells'],
    'changed-diagnosis': ['changed diagnosis', 'changed diagnoses'],
    infrastructure: ['infrastructure change', 'infrastructure changes'],
  };
  const [one, many] = words[kind] ?? [kind, kind];
  return plural(n, one, many);
}

function renderBaseline(model: ReportModel): string {
  const baseline = model.summary.baseline;
  if (!baseline) {
    return `<section class="panel" id="baseline"><h2>Against the baseline</h2><p class="none" id="no-baseline">no baseline: this run was not compared with an earlier one.</p></section>`;
  }
  const ids = new Set(model.summary.cells.map((c) => c.id));
  const rank = (kind: string) => (CHANGE_ORDER.includes(kind) ? CHANGE_ORDER.indexOf(kind) : CHANGE_ORDER.length);
  const changes = [...baseline.changes].sort((a, b) => rank(a.kind) - rank(b.kind));
  const counts = new Map<string, number>();
  for (const c of changes) counts.set(c.kind, (counts.get(c.kind) ?? 0) + 1);
  const kinds = [...counts]
    .map(([k, n]) => `<li class="k-${escapeHtml(k)}" data-change-kind="${escapeHtml(k)}">${escapeHtml(changeCount(k, n))}</li>`)
    .join('');
  const list = changes
    .map((c) => {
      const cell = ids.has(c.cell)
        ? `<button type="button" class="link mono" data-open-cell="${escapeHtml(c.cell)}">${escapeHtml(c.cell)}</button>`
        : `<span class="mono">${escapeHtml(c.cell)}</span>`;
      return `<li class="change k-${escapeHtml(c.kind)}" data-change-kind="${escapeHtml(c.kind)}" data-change-cell="${escapeHtml(c.cell)}"><span class="kind">${escapeHtml(c.kind)}</span><span>${cell}<br><span class="text">${escapeHtml(displayText(c.text))}</span></span></li>`;
    })
    .join('');
  return `<section class="panel" id="baseline"><h2>Against the baseline <span class="sub">run <code>${escapeHtml(baseline.runId)}</code></span></h2>${
    changes.length
      ? `<ul class="kinds">${kinds}</ul><ul class="changes">${list}</ul>`
      : '<p class="none">no change: every cell behaves as in the baseline.</p>'
  }</section>`;
}

function renderTrend(model: ReportModel): string {
  const runs = model.trend;
  return `<section class="panel" id="trend"><h2>Trend <span class="sub">${plural(runs.length, 'run')} of this matrix kept beside this one</span></h2>${trendSvg(runs)}<div class="trend-legend"><span><i class="sw o-expected"></i>as expected</span><span><i class="sw ne"></i>failing</span><span><i class="sw o-known"></i>known</span><span><i class="sw o-infrastructure"></i>infrastructure</span><span><i class="sw reg">▲</i>regressions in that run</span></div></section>`;
}

/** Known failures in force (apart from the grid), those that pass now, and lapsed entries. */
function renderKnownPanel(model: ReportModel): string {
  const { summary } = model;
  const known = summary.cells.filter((c) => c.outcome === 'known');
  const expired = summary.cells.filter((c) => c.knownExpired);
  const xpass = summary.known?.xpass ?? [];
  if (!known.length && !expired.length && !xpass.length) return '';
  const link = (id: string) => `<button type="button" class="link mono" data-open-cell="${escapeHtml(id)}">${escapeHtml(id)}</button>`;
  const rows = [
    ...known.map(
      (c) =>
        `<li class="known" data-known-cell="${escapeHtml(c.id)}"><span class="kind">known</span><span>${link(c.id)} <span class="text">${escapeHtml(c.known!.outcome)}: ${escapeHtml(c.known!.reason)}${c.known!.until ? ` (until ${escapeHtml(c.known!.until)})` : ''}</span>${c.known!.link ? ` <a href="${escapeHtml(c.known!.link)}" rel="noreferrer">${escapeHtml(c.known!.link)}</a>` : ''}</span></li>`,
    ),
    ...expired.map(
      (c) =>
        `<li class="expired" data-expired-cell="${escapeHtml(c.id)}"><span class="kind">expired</span><span>${link(c.id)} <span class="text">entry "${escapeHtml(c.knownExpired!.cells)}" ended ${escapeHtml(c.knownExpired!.until ?? '')}: failing again</span></span></li>`,
    ),
    ...xpass.map(
      (x) =>
        `<li class="xpass" data-xpass-cell="${escapeHtml(x.cell)}"><span class="kind">passes</span><span>${link(x.cell)} <span class="text">passes, but entry "${escapeHtml(x.entry.cells)}" lists it: remove or narrow it</span></span></li>`,
    ),
  ];
  return `<section class="panel" id="known"><h2>Known failures <span class="sub">${plural(known.length, 'cell')} covered by the config's "known" list; not failing the run</span></h2><ul class="changes">${rows.join('')}</ul></section>`;
}

/** What ran, with which tools: from run.json. */
function renderEnvironment(model: ReportModel): string {
  const info = model.runInfo;
  const versions = (info?.versions ?? {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));
  const rows: [string, string][] = [
    ['QEMU', text(versions['qemu']).split('\n')[0] ?? ''],
    ['Unicorn', text(versions['unicorn'])],
    ['toolchains', text(versions['toolchains'])],
    ['wbdiff', text(versions['wbdiff'])],
    ['node', text(versions['node'])],
    ...Object.entries(versions)
      .filter(([k]) => !['qemu', 'unicorn', 'toolchains', 'wbdiff', 'node'].includes(k))
      .map(([k, v]): [string, string] => [k, text(v)]),
    ['command line', (info?.command ?? []).join(' ')],
    ['config', info?.config?.source ?? ''],
    ['started', info?.startedAt ?? ''],
    ['repeat', info?.repeat && info.repeat > 1 ? String(info.repeat) : ''],
  ];
  const shown = rows.filter(([, v]) => v !== '');
  return `<section class="panel" id="environment"><h2>Environment <span class="sub">from run.json</span></h2>${
    shown.length
      ? `<dl class="kv">${shown.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd class="mono" data-env="${escapeHtml(k)}">${escapeHtml(displayText(v))}</dd>`).join('')}</dl>`
      : '<p class="none">run.json records no environment.</p>'
  }</section>`;
}

function renderMatrix(model: ReportModel): string {
  const { summary } = model;
  const grid = matrixGrid(summary.cells);
  const regressed = new Set((summary.baseline?.changes ?? []).filter((c) => c.kind === 'regression').map((c) => c.cell));
  const counts = new Map<string, number>();
  for (const c of summary.cells) counts.set(c.outcome, (counts.get(c.outcome) ?? 0) + 1);
  const legend = OUTCOME_ORDER.slice()
    .reverse()
    .map(
      (o) =>
        `<label class="o-${o}${counts.get(o) ? '' : ' zero'}" title="${escapeHtml(OUTCOME_MEANING[o])}"><input type="checkbox" data-filter-outcome="${o}" checked>${escapeHtml(o)} <span class="n">${counts.get(o) ?? 0}</span></label>`,
    )
    .join('');
  const head = `<tr><th>kernel + variant</th>${grid.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>`;
  let lastTarget: string | null = null;
  const body = grid.rows
    .map((row) => {
      const first = row.target !== lastTarget;
      lastTarget = row.target;
      const name = row.variant
        ? `${escapeHtml(row.target)} <span class="variant">+ ${escapeHtml(row.variant)}</span>`
        : escapeHtml(row.target);
      const cells = grid.columns.map((col) => {
        const cell = row.cells.get(col);
        return cell ? renderCell(cell, regressed.has(cell.id)) : '<td class="empty" aria-label="not in the matrix"></td>';
      });
      return `<tr data-row="${escapeHtml(row.name)}"${first ? ' class="new-target"' : ''}><th scope="row">${name}</th>${cells.join('')}</tr>`;
    })
    .join('\n');
  return `<section class="panel" id="matrix-panel"><h2>Matrix <span class="sub">kernel + variant × runner/CPU; click a cell for its evidence and serial output</span></h2>
<div class="toolbar"><fieldset class="legend" id="legend"><legend>Outcome</legend>${legend}</fieldset><input type="search" id="filter-text" placeholder="filter: kernel, variant, marker, finding…" aria-label="filter cells by text"><span id="shown">${summary.cells.length} of ${plural(summary.cells.length, 'cell')} shown</span></div>
<div class="table-wrap"><table class="matrix" id="matrix"><thead>${head}</thead><tbody>
${body}
</tbody></table></div></section>`;
}

function renderCell(cell: SummaryCell, regressed: boolean): string {
  const label = isOutcome(cell.outcome) ? OUTCOME_LABEL[cell.outcome] : cell.outcome;
  const flags = [
    regressed ? '<span class="flag reg" title="a regression against the baseline">▲ regressed</span>' : '',
    cell.flaky ? '<span class="flag">flaky</span>' : '',
    cell.failingSince && cell.failingSince.runs > 1
      ? `<span class="flag" title="failing since ${escapeHtml(cell.failingSince.runId)}">${cell.failingSince.runs} runs</span>`
      : '',
  ].join('');
  const what =
    cell.verdict === 'completed'
      ? formatMarkers(cell.markers)
      : `${cell.verdict}${Object.keys(cell.markers).length ? ` ${formatMarkers(cell.markers)}` : ''}`;
  return `<td class="cell o-${escapeHtml(cell.outcome)}${regressed ? ' regressed' : ''}" data-cell="${escapeHtml(cell.id)}" data-outcome="${escapeHtml(cell.outcome)}"${regressed ? ' data-regressed="1"' : ''}><button type="button" title="${escapeHtml(displayText(headline(cell)))}"><span class="lbl">${escapeHtml(label)}</span>${flags}<span class="mk">${escapeHtml(what)}</span></button></td>`;
}

/** What the page's script needs: every cell with its evidence, resolved, and the patched sites. */
export function pageData(model: ReportModel): PageData {
  const { summary } = model;
  const sites: Record<string, PatchedSite[]> = {};
  for (const [key, subject] of Object.entries(summary.subjects ?? {})) if (subject?.sites?.length) sites[key] = subject.sites;
  const cells = summary.cells.map((cell): PageCell => {
    const full = model.cells.get(cell.id);
    const tail = full ? serialTail(full.run.serial, SERIAL_LIMITS) : null;
    const serialNote = !full
      ? 'The cell file is missing: no serial output.'
      : `${full.run.serialBytes} bytes${tail!.truncated ? `; the last ${tail!.text.split('\n').length} lines shown` : ''}${full.run.serialBytes > full.run.serial.length + 4 ? ' (the runner kept only the first part)' : ''}.`;
    const details =
      full && Object.keys(full.run.details).length ? displayText(JSON.stringify(full.run.details, null, 2)).slice(0, DETAILS_LIMIT) : '';
    const markers = markerChecks(summary.cells, cell);
    const diagnosis = diagnosisOnce(diagnosisFor(summary, cell), cell);
    const changes = changesFor(summary, cell);
    const search = [
      cell.id,
      rowName(cell),
      placeName(cell),
      cell.outcome,
      cell.verdict,
      cell.reason,
      formatMarkers(cell.markers),
      ...cell.findings.flatMap((f) => [f.summary, ...f.evidence]),
      ...changes.map((c) => `${c.kind} ${c.text}`),
      cell.flaky ? 'flaky' : '',
    ]
      .join('\n')
      .toLowerCase();
    return {
      id: cell.id,
      row: rowName(cell),
      place: placeName(cell),
      subject: cell.subject,
      variant: cell.variant,
      outcome: cell.outcome,
      label: isOutcome(cell.outcome) ? OUTCOME_LABEL[cell.outcome] : cell.outcome,
      findings: cell.findings,
      verdict: cell.verdict,
      reason: displayText(cell.reason),
      durationMs: cell.durationMs,
      done: cell.done,
      flaky: Boolean(cell.flaky),
      markers,
      conflicts: full?.run.conflicts ?? [],
      fault: cell.fault ? { ...cell.fault } : null,
      provenance: cell.provenance,
      diagnosis,
      changes,
      serial: tail ? tail.text : null,
      serialNote,
      details,
      search,
    };
  });
  return { runId: summary.runId, baselineRunId: summary.baseline?.runId ?? null, cells, sites };
}

export const htmlReporter: Reporter = { name: 'html', fileName: 'index.html', render: renderHtml };
