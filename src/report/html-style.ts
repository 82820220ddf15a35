/** Stylesheet of the HTML report, inlined into the page (no external fonts or assets). */
export const REPORT_CSS = `
:root { --fg:#0f172a; --muted:#64748b; --line:#e2e8f0; --bg:#f8fafc; --card:#fff;
  --pass:#15803d; --fail:#b91c1c; --err:#9a3412; --skip:#475569; --warn:#a16207; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
  color:var(--fg); background:var(--bg); }
header { padding:20px 32px 16px; background:#0f172a; color:#f8fafc; }
header h1 { margin:0 0 4px; font-size:22px; font-weight:600; }
header .facts { color:#cbd5e1; }
main { padding:8px 32px 32px; max-width:1600px; }
section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:16px 20px; margin:16px 0; }
h2 { font-size:17px; margin:0 0 10px; font-weight:600; }
h3 { font-size:13px; margin:16px 0 6px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); }
.facts { color:var(--muted); font-size:13px; }
.counts { display:flex; gap:10px; margin-top:14px; flex-wrap:wrap; }
.count { background:#1e293b; border-radius:6px; padding:6px 14px; min-width:84px; }
.count .n { font-size:22px; font-weight:700; }
.count .l { font-size:12px; color:#cbd5e1; }
.count.zero { opacity:.55; }
.c-pass .n { color:#4ade80; } .c-fail .n { color:#f87171; } .c-errored .n { color:#fb923c; } .c-inconclusive .n { color:#facc15; }
.c-unstable .n, .c-degraded .n { color:#facc15; }
table { border-collapse:collapse; width:100%; font-size:13px; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-weight:600; color:#334155; background:#f1f5f9; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
td.num, td.nowrap { white-space:nowrap; }
.tablewrap { overflow-x:auto; }
table.summary tr.row-fail td:first-child { border-left:3px solid var(--fail); }
table.summary tr.row-errored td:first-child { border-left:3px solid var(--err); }
table.summary tr.row-pass td:first-child { border-left:3px solid var(--pass); }
table.kv th { width:38%; background:none; font-weight:500; color:var(--muted); }
.mono { font-family:ui-monospace,"DejaVu Sans Mono",monospace; font-size:12px; }
.muted { color:var(--muted); }
.note { font-size:13px; font-weight:400; }
.reasons { font-size:12px; color:var(--warn); max-width:240px; white-space:normal; margin-top:3px; }
.res { color:var(--muted); font-size:12px; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600;
  vertical-align:middle; color:#fff; background:var(--skip); }
.b-pass, .b-ok { background:var(--pass); } .b-fail { background:var(--fail); }
.b-errored { background:var(--err); } .b-degraded, .b-unstable, .b-inconclusive { background:var(--warn); }
.warn { background:#fefce8; border:1px solid #fde68a; border-radius:6px; padding:8px 12px; color:#713f12; }
.warn ul { margin:4px 0 0; padding-left:20px; }
.ok { color:var(--pass); }
pre.error { background:#fef2f2; border:1px solid #fecaca; color:#7f1d1d; padding:8px 12px; border-radius:6px;
  white-space:pre-wrap; }
.cols { display:grid; grid-template-columns:repeat(auto-fit,minmax(420px,1fr)); gap:0 28px; }
.runcols { display:grid; grid-template-columns:minmax(0,3fr) minmax(0,2fr); gap:0 28px; }
@media (max-width:1100px) { .runcols { grid-template-columns:minmax(0,1fr); } }
.chartbox { overflow-x:auto; }
svg.chart { display:block; max-width:100%; height:auto; font-family:inherit; }
svg .grid { stroke:#e2e8f0; stroke-width:1; }
svg .tick { fill:#64748b; font-size:11px; }
svg .lane { fill:#f8fafc; stroke:#e2e8f0; }
svg .lanelabel { font-size:12px; font-weight:600; fill:#334155; }
svg .evlabel { font:10px ui-monospace,"DejaVu Sans Mono",monospace; fill:#0f172a; }
svg .evbg { fill:#fff; fill-opacity:.9; } svg g.labels { pointer-events:none; }
svg g.ev:focus { outline:none; } svg g.ev:focus circle, svg g.ev:hover circle { r:5.5; stroke:#0f172a; }
svg .evlabel, svg .reflabel, svg .cplabel, svg .tick { paint-order:stroke; stroke:#fff; stroke-width:3px; stroke-linejoin:round; }
svg .legend { font:11px ui-monospace,"DejaVu Sans Mono",monospace; fill:#334155; }
svg .line { stroke-width:1.6; stroke-linejoin:round; }
svg .episode { fill:#ef4444; fill-opacity:.09; stroke:#ef4444; stroke-opacity:.45; }
svg .barlabel { font-size:11px; fill:#fff; font-weight:600; }
svg .dot { fill:#2563eb; } svg .dot.flagged { fill:#dc2626; }
svg .cpline { stroke:#dc2626; stroke-dasharray:4 3; stroke-width:1.5; }
svg .cplabel { fill:#dc2626; font-size:11px; font-weight:600; }
svg .level { stroke:#94a3b8; stroke-dasharray:2 2; stroke-width:1.5; }
svg .ref { stroke:#a16207; stroke-dasharray:6 4; stroke-width:1; }
svg .reflabel { fill:#a16207; font-size:10px; }
.trends { display:flex; flex-wrap:wrap; gap:16px; }
.trendfig { margin:0; border:1px solid var(--line); border-radius:6px; padding:8px; width:480px; max-width:100%; }
.trendfig figcaption { font-size:13px; margin-bottom:4px; }
footer { color:var(--muted); padding:0 32px 24px; font-size:12px; }
table.scenarios { table-layout:fixed; width:100%; }
table.scenarios col.c-scen { width:12%; } table.scenarios col.c-strat { width:10%; }
table.scenarios col.c-fam { width:44px; } table.scenarios col.c-n { width:40px; }
table.scenarios col.c-verd { width:10%; } table.scenarios col.c-spark { width:112px; }
table.scenarios col.c-health { width:8%; }
table.scenarios td { overflow-wrap:anywhere; } table.scenarios th { font-size:12px; overflow-wrap:normal; }
table.scenarios td.sparkcell { padding-left:14px; }
table.scenarios td.num { white-space:normal; }
table.scenarios th .sub { font-weight:400; color:var(--muted); font-size:11px; }
td.fig .med { display:block; font-weight:600; } td.fig .p95 { display:block; color:var(--muted); font-size:12px; }
td.fig .rng { display:block; color:var(--muted); font-size:11px; white-space:normal; }
.vc { display:inline-block; margin:0 4px 2px 0; padding:0 6px; border-radius:8px; font-size:12px; background:#f1f5f9; }
.v-pass { color:var(--pass); } .v-fail { color:var(--fail); } .v-errored { color:var(--err); } .v-inconclusive { color:#ca8a04; }
.v-warn { color:var(--warn); background:#fefce8; }
details.reasons summary { cursor:pointer; color:var(--warn); font-size:12px; }
details.reasons ul { margin:4px 0 0; padding-left:16px; font-size:12px; }
details.reasons .n { font-variant-numeric:tabular-nums; color:var(--muted); }
svg.spark { display:block; }
table.attempts td.scen { overflow-wrap:anywhere; }
table.attempts tr.row-fail td:first-child { border-left:3px solid var(--fail); }
table.attempts tr.row-errored td:first-child { border-left:3px solid var(--err); }
tr.drill > td { background:#fcfcfd; padding:8px 12px 16px; }
.drillbody h3 { text-transform:none; letter-spacing:0; font-size:15px; color:var(--fg); }
.drillbody h4 { font-size:12px; margin:14px 0 4px; text-transform:uppercase; color:var(--muted); }
.guide { color:#334155; font-size:12px; padding-left:18px; margin:4px 0; }
table.flows th.num { white-space:normal; max-width:160px; }
.zoombar button, button.open, button.trends-open { font:inherit; font-size:12px; padding:2px 10px;
  border:1px solid #cbd5e1; border-radius:6px; background:#fff; cursor:pointer; }
.zoombar button[aria-pressed="true"], button.open[aria-expanded="true"] { background:#0f172a; color:#fff; }
.zoombar { display:flex; gap:6px; margin:4px 0; flex-wrap:wrap; }
.evdetail { white-space:pre-wrap; font-size:12px; min-height:1.4em; }
@media (max-width:600px) {
  main { padding:4px 8px 16px; } header { padding:14px 12px; } section { padding:12px 10px; }
  .count { min-width:64px; padding:4px 8px; }
  table.scenarios, table.scenarios tbody, table.scenarios tr, table.scenarios td { display:block; width:100%; }
  table.scenarios colgroup, table.scenarios thead { display:none; }
  table.scenarios tr { border:1px solid var(--line); border-radius:6px; margin:0 0 10px; padding:4px 0; }
  table.scenarios td { display:flex; justify-content:space-between; gap:12px; border:none; padding:3px 8px;
    text-align:right; }
  table.scenarios td::before { content:attr(data-label); color:var(--muted); text-align:left; flex:none; }
  table.scenarios td.fig .med, table.scenarios td.fig .p95, table.scenarios td.fig .rng { display:inline; margin-left:6px; }
  table.scenarios td.scen { font-weight:600; }
}
@media print {
  body { background:#fff; font-size:11px; } header { color:#000; background:#fff; padding:0 0 8px; }
  header .facts { color:#334155; } .count { background:#fff; border:1px solid #cbd5e1; } .count .l { color:#334155; }
  main { padding:0; max-width:none; } section { border:none; padding:0; margin:0 0 12px; }
  button, .noprint, .zoombar { display:none !important; }
  .tablewrap { overflow:visible; } table { font-size:10px; } tr { break-inside:avoid; }
  table.scenarios col.c-spark { width:90px; }
  tr.drill { break-before:page; } svg.chart { max-width:100%; height:auto; }
  .view-all[hidden] { display:none; }
}
`;
