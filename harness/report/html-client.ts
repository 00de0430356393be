// The script of index.html, type-checked here and embedded as `(${clientMain})()`. It reads the
// page data from <script type="application/json" id="wbdiff-data"> and builds every node that
// holds data with createElement + textContent: nothing a kernel printed is ever parsed as HTML.
// It must stay self-contained (no imports, no outer variables): only its source text is shipped.
import type { BaselineChange, MarkerCheck, PatchedSite } from './model.js';
import type { DiagnosisLike, Finding } from '../compare/classify.js';

/** One cell as the page knows it. */
export interface PageCell {
  id: string;
  row: string;
  place: string;
  subject: string;
  variant: string | null;
  outcome: string;
  label: string;
  findings: Finding[];
  verdict: string;
  reason: string;
  durationMs: number;
  done: boolean;
  flaky: boolean;
  markers: MarkerCheck[];
  conflicts: { id: string; values: string[]; lines: number[] }[];
  fault: Record<string, string | null> | null;
  provenance: { elfHash: string; sourceHash: string | null; variantHashes: string[]; toolchain: string | null };
  diagnosis: DiagnosisLike | null;
  changes: BaselineChange[];
  /** Display text of the end of the serial output, or null when the cell file is missing. */
  serial: string | null;
  serialNote: string;
  details: string;
  /** Lower-case text the text filter searches. */
  search: string;
}

export interface PageData {
  runId: string;
  baselineRunId: string | null;
  cells: PageCell[];
  sites: Record<string, PatchedSite[]>;
}

export function clientMain(): void {
  const source = document.getElementById('wbdiff-data');
  if (!source) return;
  const data = JSON.parse(source.textContent ?? '{}') as PageData;
  const byId = new Map(data.cells.map((c) => [c.id, c]));
  const tds = Array.from(document.querySelectorAll<HTMLTableCellElement>('td[data-cell]'));
  const rows = Array.from(document.querySelectorAll<HTMLTableRowElement>('tr[data-row]'));
  const boxes = Array.from(document.querySelectorAll<HTMLInputElement>('input[data-filter-outcome]'));
  const text = document.getElementById('filter-text') as HTMLInputElement | null;
  const shown = document.getElementById('shown');
  const panel = document.getElementById('details') as HTMLElement;
  const body = document.getElementById('details-body') as HTMLElement;
  const title = document.getElementById('details-title') as HTMLElement;

  function el(tag: string, className?: string | null, ...kids: (Node | string | null | undefined)[]): HTMLElement {
    const node = document.createElement(tag);
    if (className) node.className = className;
    for (const kid of kids)
      if (kid !== null && kid !== undefined) node.append(typeof kid === 'string' ? document.createTextNode(kid) : kid);
    return node;
  }

  // ---- filters -------------------------------------------------------------------------------
  function applyFilters(): void {
    const wanted = new Set(boxes.filter((b) => b.checked).map((b) => b.dataset['filterOutcome']));
    const query = (text?.value ?? '').trim().toLowerCase();
    let visible = 0;
    for (const td of tds) {
      const cell = byId.get(td.dataset['cell'] ?? '');
      const match = !!cell && wanted.has(cell.outcome) && (!query || cell.search.includes(query));
      td.classList.toggle('out', !match);
      td.querySelector('button')?.setAttribute('tabindex', match ? '0' : '-1');
      if (match) visible += 1;
    }
    for (const row of rows) row.classList.toggle('out', !row.querySelector('td[data-cell]:not(.out)'));
    if (shown) shown.textContent = `${visible} of ${tds.length} ${tds.length === 1 ? 'cell' : 'cells'} shown`;
  }
  for (const box of boxes) box.addEventListener('change', applyFilters);
  text?.addEventListener('input', applyFilters);
  for (const chip of Array.from(document.querySelectorAll<HTMLElement>('ul.counts li[data-outcome]'))) {
    chip.addEventListener('click', () => {
      const only = chip.dataset['outcome'];
      const alone = boxes.every((b) => b.checked === (b.dataset['filterOutcome'] === only));
      for (const b of boxes) b.checked = alone || b.dataset['filterOutcome'] === only;
      applyFilters();
    });
  }

  // ---- details -------------------------------------------------------------------------------
  function section(name: string, ...kids: (Node | string | null)[]): void {
    body.append(el('h3', null, name), ...kids.filter((k): k is Node | string => k !== null));
  }
  function kv(pairs: [string, string | null | undefined][]): HTMLElement {
    const dl = el('dl', 'kv');
    for (const [k, v] of pairs) if (v !== null && v !== undefined && v !== '') dl.append(el('dt', null, k), el('dd', 'mono', v));
    return dl;
  }
  function table(head: string[], rowsOf: (string | Node)[][]): HTMLElement {
    const t = el('table', 'data');
    t.append(el('thead', null, el('tr', null, ...head.map((h) => el('th', null, h)))));
    const tb = el('tbody');
    for (const r of rowsOf) tb.append(el('tr', null, ...r.map((c) => el('td', null, c))));
    t.append(tb);
    return t;
  }

  function open(id: string, push = true): void {
    const cell = byId.get(id);
    if (!cell) return;
    for (const td of tds) td.classList.toggle('selected', td.dataset['cell'] === id);
    title.replaceChildren(
      el('span', `badge o-${cell.outcome}`, cell.label),
      el('span', 'mono', cell.id),
      el('div', 'where', `${cell.row} on ${cell.place}`),
    );
    if (cell.flaky) title.insertBefore(el('span', 'badge flaky', 'flaky'), title.children[1] ?? null);
    body.replaceChildren();
    if (cell.changes.length) {
      section(
        'Against the baseline',
        el('p', 'note', `compared with run ${data.baselineRunId ?? '?'}`),
        el(
          'ul',
          'changes',
          ...cell.changes.map((c) => el('li', `change k-${c.kind}`, el('span', 'kind', c.kind), el('span', 'text', c.text))),
        ),
      );
    }
    section(
      'Findings',
      cell.findings.length
        ? el(
            'ul',
            'findings',
            ...cell.findings.map((f) =>
              el(
                'li',
                `o-${f.kind}`,
                el('span', 'badge', f.kind),
                f.summary,
                f.evidence.length ? el('ul', null, ...f.evidence.map((e) => el('li', null, e))) : null,
              ),
            ),
          )
        : el('p', 'note', cell.outcome === 'expected' ? 'None: the cell is as expected.' : 'None recorded.'),
    );
    section(
      'Run',
      kv([
        ['verdict', cell.verdict],
        ['reason', cell.reason],
        ['duration', `${cell.durationMs} ms`],
        ['DONE printed', cell.done ? 'yes' : 'no'],
      ]),
    );
    // The serial output right after the run, in a box of its own: never below pages of evidence.
    section('Serial output', el('p', 'note', cell.serialNote), cell.serial === null ? null : el('pre', 'serial', cell.serial));
    section(
      'Markers',
      cell.markers.length
        ? table(
            ['marker', 'value', 'check'],
            cell.markers.map((m) => [
              el('span', 'mono', m.id),
              el('span', 'mono', m.value),
              el('span', `st-${m.status}`, m.status + (m.message ? `: ${m.message}` : '')),
            ]),
          )
        : el('p', 'note', 'No markers were printed.'),
      cell.conflicts.length
        ? el(
            'ul',
            null,
            ...cell.conflicts.map((c) =>
              el('li', null, `conflict: ${c.id} printed as ${c.values.join(' then ')} (lines ${c.lines.join(', ')})`),
            ),
          )
        : null,
    );
    if (cell.fault) {
      const f = cell.fault;
      section(
        'Fault',
        kv([
          ['kind', f['kind']],
          ['pc', f['pc']],
          ['pc symbol', f['pcSymbol']],
          ['address', f['address']],
          ['address symbol', f['addressSymbol']],
          ['access', f['access']],
          ['ESR', f['esr']],
          ['detail', f['detail']],
        ]),
      );
    }
    if (cell.variant !== null) {
      const sites = data.sites[cell.subject] ?? [];
      section(
        'Patched sites',
        sites.length
          ? table(
              ['address', 'location', 'old', 'new', 'edit'],
              sites.map((s) => [
                el('span', 'mono', s.address),
                el('span', 'mono', s.location),
                el('span', 'mono', s.old.symbolic),
                el('span', 'mono', s.new.symbolic),
                new Set(sites.map((x) => x.variant)).size > 1 ? `${s.variant}: ${s.op}` : s.op,
              ]),
            )
          : el('p', 'note', 'No patched sites are recorded for this variant.'),
      );
    }
    section(
      'Diagnosis',
      cell.diagnosis
        ? el(
            'div',
            null,
            kv([['verdict', cell.diagnosis.verdict]]),
            cell.diagnosis.findings.length
              ? el('ul', null, ...cell.diagnosis.findings.map((f) => el('li', null, el('b', null, `[${f.kind}] `), f.text)))
              : el('p', 'note', 'Its findings are the ones under Findings above.'),
          )
        : el(
            'p',
            'note',
            cell.variant === null
              ? 'Not applicable: diagnoses trace the redirected calls of variants.'
              : 'No diagnosis was made for this build, variant and CPU.',
          ),
    );
    section(
      'Bytes that ran',
      kv([
        ['ELF', cell.provenance.elfHash],
        ['sources', cell.provenance.sourceHash],
        ['variants', cell.provenance.variantHashes.join(' + ')],
        ['toolchain', cell.provenance.toolchain],
      ]),
    );
    if (cell.details) {
      const raw = el('details', 'raw', el('summary', null, 'runner details'), el('pre', null, cell.details));
      body.append(raw);
    }
    panel.hidden = false;
    document.body.classList.add('with-details');
    body.scrollTop = 0;
    if (push) setHash(`#cell=${encodeURIComponent(id)}`);
  }
  function close(): void {
    panel.hidden = true;
    document.body.classList.remove('with-details');
    for (const td of tds) td.classList.remove('selected');
    setHash('');
  }
  function setHash(hash: string): void {
    try {
      history.replaceState(null, '', hash || location.pathname + location.search);
    } catch {
      // some browsers refuse history changes on file:// pages; the link is only a convenience
    }
  }
  for (const td of tds) td.addEventListener('click', () => open(td.dataset['cell'] ?? ''));
  for (const link of Array.from(document.querySelectorAll<HTMLElement>('[data-open-cell]')))
    link.addEventListener('click', () => open(link.dataset['openCell'] ?? ''));
  document.getElementById('details-close')?.addEventListener('click', close);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !panel.hidden) close();
  });

  applyFilters();
  const hash = /^#cell=(.+)$/.exec(location.hash);
  if (hash) {
    try {
      open(decodeURIComponent(hash[1]!), false);
    } catch {
      // a malformed hash opens nothing
    }
  }
}
