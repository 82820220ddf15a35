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
.c-pass .n { color:#4ade80; } .c-fail .n { color:#f87171; } .c-errored .n { color:#fb923c; }
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
.b-errored { background:var(--err); } .b-degraded, .b-unstable { background:var(--warn); }
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
svg .evlabel { font-size:11px; fill:#0f172a; }
svg .evlabel, svg .reflabel, svg .cplabel, svg .tick { paint-order:stroke; stroke:#fff; stroke-width:3px; stroke-linejoin:round; }
svg .legend { font-size:12px; fill:#334155; }
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
@media print { body { background:#fff; } section { break-inside:avoid; border:none; } header { color:#000; background:#fff; } }
`;
