// The stylesheet of index.html: system fonts only (no network), outcome colours from outcomes.ts.
import { OUTCOME_COLOUR, OUTCOME_ORDER } from './outcomes.js';

const outcomeRules = OUTCOME_ORDER.map((o) => {
  const { fg, bg } = OUTCOME_COLOUR[o];
  return `.o-${o}{--fg:${fg};--bg:${bg}}`;
}).join('\n');

export const PAGE_CSS = `
:root{--ink:#1c232b;--muted:#5d6773;--line:#dfe3e8;--panel:#fff;--page:#f3f5f7;--accent:#1f5fa8;
  font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;font-size:14px;color:var(--ink);background:var(--page)}
*{box-sizing:border-box}
body{margin:0}
code,pre,.mono{font-family:ui-monospace,"SFMono-Regular","DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px}
${outcomeRules}
header.top{background:#17202b;color:#eef2f6;padding:14px 24px 12px;display:flex;flex-wrap:wrap;gap:10px 28px;align-items:center;justify-content:space-between}
header.top h1{margin:0;font-size:19px;font-weight:650;letter-spacing:.2px}
header.top h1 span{font-weight:400;color:#a9b6c4}
header.top .run{color:#c3cdd8;margin-top:3px}
header.top .run code{color:#fff;font-size:13px}
ul.counts{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:6px}
ul.counts li{background:var(--bg,#2a3644);color:var(--fg,#fff);border-radius:14px;padding:3px 11px;font-size:13px;cursor:pointer;user-select:none;border:1px solid transparent}
ul.counts li.total{background:#2a3644;color:#eef2f6;cursor:default}
ul.counts li b{font-weight:700;margin-right:3px}
ul.counts li:hover:not(.total){border-color:#fff}
ul.headline{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:8px;font-size:14px}
ul.headline li{border-radius:5px;padding:4px 12px;background:#2a3644;color:#eef2f6}
ul.headline li.bad{background:#b3261e;color:#fff}
ul.headline li.good{background:#1b5e20;color:#fff}
ul.headline li.h-known{background:${OUTCOME_COLOUR.known.bg};color:${OUTCOME_COLOUR.known.fg}}
td.cell.regressed button{box-shadow:0 0 0 2px #b3261e}
td.cell .flag.reg{color:#b3261e;font-weight:800}
.k-not-run .kind,.kinds .k-not-run{background:#fff1c2;color:#6b5200}
.k-known .kind,.kinds .k-known,#known .kind{background:${OUTCOME_COLOUR.known.bg};color:${OUTCOME_COLOUR.known.fg}}
#known{margin-bottom:16px}
#environment{margin-top:16px}
main{padding:16px 24px 40px}
.top-grid{display:grid;grid-template-columns:minmax(0,1.6fr) minmax(0,1fr);gap:16px;margin-bottom:16px}
@media (max-width:1100px){.top-grid{grid-template-columns:1fr}}
section.panel{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:12px 16px;box-shadow:0 1px 2px rgba(20,30,40,.05)}
section.panel h2{font-size:14px;margin:0 0 8px;font-weight:650}
section.panel h2 .sub{font-weight:400;color:var(--muted)}
p.none{color:var(--muted);margin:4px 0}
ul.kinds{list-style:none;margin:0 0 8px;padding:0;display:flex;flex-wrap:wrap;gap:6px}
ul.kinds li{border-radius:4px;padding:1px 8px;font-size:12.5px;background:#eef1f4}
ul.changes{list-style:none;margin:0;padding:0;max-height:220px;overflow:auto}
ul.changes li{padding:4px 0;border-top:1px solid #eef0f3;display:flex;gap:8px;align-items:baseline}
ul.changes li:first-child{border-top:0}
.kind{display:inline-block;min-width:88px;text-align:center;border-radius:4px;padding:0 6px;font-size:12px;font-weight:600;background:#eef1f4;color:#3b4652}
.k-regression .kind,.kinds .k-regression{background:#f4b6b0;color:#7a0a0a}
.k-fix .kind,.kinds .k-fix{background:#d7eed8;color:#1b5e20}
.k-new .kind,.kinds .k-new{background:#dbe8f7;color:#1f4f86}
.k-gone .kind,.kinds .k-gone{background:#e6e6e6;color:#444}
.k-flaky .kind,.kinds .k-flaky{background:#ffe2b0;color:#8a4b00}
.k-infrastructure .kind,.kinds .k-infrastructure{background:#dde3e7;color:#37474f}
button.link{background:none;border:0;padding:0;color:var(--accent);cursor:pointer;font:inherit;text-align:left}
button.link:hover{text-decoration:underline}
.change .text{color:var(--ink)}
svg.trend{max-width:100%;height:auto;display:block}
svg.trend .axis{stroke:#b8c0c9;stroke-width:1}
svg.trend .tick{font-size:10px;fill:#5d6773}
svg.trend .tick.sub{fill:#8a939d}
svg.trend .reg{font-size:11px;font-weight:700;fill:#b3261e}
.trend-legend{display:flex;gap:14px;flex-wrap:wrap;color:var(--muted);font-size:12px;margin-top:4px}
.sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px;background:var(--fg)}
.sw.ne{background:${OUTCOME_COLOUR['patch-bug'].fg}}
.sw.reg{background:none;color:#b3261e;width:auto;height:auto;font-weight:700}
.toolbar{display:flex;flex-wrap:wrap;gap:10px 18px;align-items:center;margin-bottom:10px}
fieldset.legend{border:0;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:6px;align-items:center}
fieldset.legend legend{float:left;color:var(--muted);margin-right:6px;padding:0}
fieldset.legend label{display:inline-flex;align-items:center;gap:5px;background:var(--bg);color:var(--fg);border-radius:4px;padding:3px 8px 3px 5px;cursor:pointer;font-size:12.5px;font-weight:600}
fieldset.legend label.zero{opacity:.55}
fieldset.legend input{margin:0;accent-color:var(--fg)}
input#filter-text{min-width:260px;padding:5px 9px;border:1px solid #c4ccd5;border-radius:5px;font:inherit}
#shown{color:var(--muted)}
.table-wrap{overflow:auto}
table.matrix{border-collapse:separate;border-spacing:3px;min-width:100%}
table.matrix th{font-weight:600;text-align:left;padding:4px 8px;white-space:nowrap}
table.matrix thead th{color:var(--muted);font-size:12.5px;border-bottom:1px solid var(--line)}
table.matrix tbody th{font-size:13px}
table.matrix tbody th .variant{color:var(--muted);font-weight:500}
table.matrix tr.new-target th,table.matrix tr.new-target td{border-top:1px solid transparent}
table.matrix tr.new-target>*{padding-top:9px}
table.matrix td{padding:0;vertical-align:top}
table.matrix td.empty{background:repeating-linear-gradient(135deg,#f4f6f8 0 6px,#fff 6px 12px);border-radius:5px}
td.cell button{display:block;width:100%;min-width:150px;max-width:300px;text-align:left;background:var(--bg);color:var(--fg);border:1px solid transparent;border-left:4px solid var(--fg);border-radius:5px;padding:4px 8px;cursor:pointer;font:inherit}
td.cell button:hover{border-color:var(--fg)}
td.cell.selected button{outline:2px solid var(--accent);outline-offset:1px}
td.cell .lbl{font-weight:700;font-size:12px;letter-spacing:.3px}
td.cell .flag{font-size:11px;margin-left:6px;font-weight:600;opacity:.85}
td.cell .mk{display:block;font-family:ui-monospace,"DejaVu Sans Mono",Menlo,monospace;font-size:11.5px;color:var(--ink);opacity:.85;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
td.cell.out{opacity:.13}
td.cell.out button{cursor:default}
tr.out{display:none}
aside.details{position:fixed;top:0;right:0;bottom:0;width:min(760px,52vw);background:#fff;border-left:1px solid var(--line);box-shadow:-6px 0 24px rgba(20,30,40,.14);display:flex;flex-direction:column;z-index:5}
aside.details[hidden]{display:none}
body.with-details main,body.with-details footer{margin-right:min(760px,52vw)}
body.with-details header.top{padding-right:calc(min(760px,52vw) + 24px)}
@media (max-width:900px){aside.details{width:100vw}body.with-details main,body.with-details footer{margin-right:0}body.with-details header.top{padding-right:24px}}
.details-head{display:flex;align-items:flex-start;gap:10px;padding:12px 16px;border-bottom:1px solid var(--line);background:#fafbfc}
.details-head h2{margin:0;font-size:15px;word-break:break-all;flex:1}
.details-head .where{color:var(--muted);font-size:12.5px;margin-top:3px;font-weight:400}
#details-close{border:1px solid #c4ccd5;background:#fff;border-radius:5px;font-size:16px;line-height:1;padding:4px 9px;cursor:pointer}
#details-body{overflow:auto;padding:6px 16px 24px}
#details-body h3{font-size:13px;margin:16px 0 6px;text-transform:uppercase;letter-spacing:.5px;color:#46515d}
.badge{display:inline-block;background:var(--bg);color:var(--fg);border-radius:4px;padding:1px 8px;font-weight:700;font-size:12px;margin-right:6px}
.badge.flaky{background:#ffe2b0;color:#8a4b00}
ul.findings{margin:0;padding-left:0;list-style:none}
ul.findings>li{margin:0 0 8px;padding:6px 10px;border-left:3px solid var(--fg);background:var(--bg)}
ul.findings ul{margin:4px 0 0;padding-left:18px;color:#2b333c}
dl.kv{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:3px 14px;margin:0}
dl.kv dt{color:var(--muted)}
dl.kv dd{margin:0;word-break:break-word}
table.data{border-collapse:collapse;width:100%;font-size:12.5px}
table.data th,table.data td{border-bottom:1px solid #eef0f3;padding:3px 6px;text-align:left;vertical-align:top}
table.data th{color:var(--muted);font-weight:600}
.st-pass{color:#1b5e20;font-weight:600}
.st-fail{color:#b3261e;font-weight:700}
.st-skip{color:#8a939d;font-weight:600}
pre.serial{background:#10161d;color:#dfe7ef;padding:10px 12px;border-radius:6px;max-height:46vh;overflow:auto;white-space:pre-wrap;word-break:break-all;margin:0}
p.note{color:var(--muted);margin:2px 0 6px;font-size:12.5px}
details.raw pre{background:#f4f6f8;padding:8px;border-radius:5px;overflow:auto;max-height:30vh}
footer{color:var(--muted);font-size:12px;padding:0 24px 24px}
`;
