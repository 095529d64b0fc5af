/**
 * The stylesheet of the live events page, inlined into it: the page must work offline, so
 * no external stylesheet or font (system font stacks only). Light and dark, by the system.
 */
export const EVENTS_PAGE_STYLE = String.raw`
:root {
  color-scheme: light dark;
  --bg: #f5f6f8;
  --surface: #ffffff;
  --surface-2: #f8f9fb;
  --border: #e2e5ea;
  --border-strong: #cfd4dc;
  --text: #1b2230;
  --muted: #636c7e;
  --faint: #8a92a3;
  --accent: #5b5bd6;
  --accent-soft: #ececfb;
  --accent-text: #4040b0;
  --live: #12a150;
  --warn: #c2790a;
  --error: #d03b3b;
  --fresh: #fff7d6;
  --shadow: 0 1px 2px rgb(16 24 40 / 0.05), 0 1px 3px rgb(16 24 40 / 0.06);
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace;
  --sans: system-ui, -apple-system, "Segoe UI", Roboto, Ubuntu, Cantarell, "Noto Sans", "DejaVu Sans", "Helvetica Neue", Arial, sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1116;
    --surface: #171a21;
    --surface-2: #1c2028;
    --border: #2a2f3a;
    --border-strong: #3a404d;
    --text: #e6e8ee;
    --muted: #9aa3b2;
    --faint: #7b8496;
    --accent: #8b8bf0;
    --accent-soft: #262a4a;
    --accent-text: #b9b9ff;
    --live: #34c474;
    --warn: #e5a23a;
    --error: #f07070;
    --fresh: #3a3420;
    --shadow: none;
  }
}
* { box-sizing: border-box; }
html, body { margin: 0; }
body {
  background: var(--bg);
  color: var(--text);
  font: 14px/1.45 var(--sans);
  -webkit-font-smoothing: antialiased;
}
code, pre, .mono { font-family: var(--mono); font-size: 12.5px; }
button { font: inherit; color: inherit; }
[hidden] { display: none !important; }

.topbar {
  position: sticky;
  top: 0;
  z-index: 2;
  display: flex;
  align-items: center;
  gap: 20px;
  padding: 12px 28px;
  background: var(--surface);
  border-bottom: 1px solid var(--border);
  box-shadow: var(--shadow);
}
.brand { display: flex; align-items: center; gap: 10px; font-weight: 650; font-size: 16px; }
.brand .logo { width: 26px; height: 26px; flex: none; }
.brand-sub { color: var(--muted); font-weight: 450; }
.server { display: flex; align-items: center; gap: 8px; min-width: 0; }
.server .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; }
.server code {
  padding: 3px 8px;
  border: 1px solid var(--border);
  border-radius: 6px;
  background: var(--surface-2);
  white-space: nowrap;
  overflow: hidden;
  text-overflow: ellipsis;
}
.spacer { flex: 1; }
.counts { display: flex; gap: 8px; color: var(--muted); white-space: nowrap; }
.counts .dim { color: var(--faint); }
.counts b { color: var(--text); font-weight: 650; font-variant-numeric: tabular-nums; }
.status {
  display: inline-flex;
  align-items: center;
  gap: 7px;
  padding: 4px 11px;
  border-radius: 999px;
  border: 1px solid var(--border);
  font-size: 12.5px;
  font-weight: 600;
  white-space: nowrap;
  color: var(--muted);
}
.status .dot { width: 8px; height: 8px; border-radius: 50%; background: currentColor; }
.status.live { color: var(--live); }
.status.live .dot { animation: pulse 2s ease-in-out infinite; }
.status.reconnecting, .status.connecting { color: var(--warn); }
.status.error { color: var(--error); }
@keyframes pulse { 50% { opacity: 0.35; } }

main { max-width: 1280px; margin: 0 auto; padding: 22px 28px 48px; }
.card {
  background: var(--surface);
  border: 1px solid var(--border);
  border-radius: 10px;
  box-shadow: var(--shadow);
}
.chart-card { padding: 16px 20px 14px; }
.card-head { display: flex; align-items: baseline; gap: 12px; margin-bottom: 8px; }
.card-head h2 { margin: 0; font-size: 14px; font-weight: 650; }
.hint { color: var(--muted); font-size: 12.5px; }
.chart-wrap { position: relative; }
#chart { display: block; width: 100%; height: auto; overflow: visible; }
#chart .grid { stroke: var(--border); stroke-width: 1; }
#chart .axis { fill: var(--faint); font: 11px var(--sans); }
#chart rect.bar { shape-rendering: crispEdges; }
.chart-empty {
  position: absolute;
  inset: 0 0 24px 36px;
  display: flex;
  align-items: center;
  justify-content: center;
  margin: 0;
  color: var(--muted);
}
.chart-empty span { padding: 2px 12px; background: var(--surface); }
.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; margin: 10px 0 0; padding: 0; list-style: none; }
.legend li { display: flex; align-items: center; gap: 7px; max-width: 280px; font-size: 12.5px; }
.legend .swatch { width: 10px; height: 10px; border-radius: 3px; flex: none; }
.legend .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.legend .count { color: var(--muted); font-variant-numeric: tabular-nums; }

.filters { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 12px; margin: 18px 0 12px; }
.field { display: flex; flex-direction: column; gap: 4px; }
.field span { color: var(--muted); font-size: 12px; font-weight: 600; }
.field input {
  width: 260px;
  padding: 7px 10px;
  border: 1px solid var(--border-strong);
  border-radius: 7px;
  background: var(--surface);
  color: var(--text);
  font: 13.5px var(--sans);
}
.field input:focus { outline: 2px solid var(--accent); outline-offset: -1px; border-color: transparent; }
.button {
  padding: 7px 12px;
  border: 1px solid var(--border-strong);
  border-radius: 7px;
  background: var(--surface);
  cursor: pointer;
}
.button:hover:not(:disabled) { background: var(--surface-2); }
.button:disabled { color: var(--faint); cursor: default; }
.filters .note { margin-left: auto; color: var(--muted); font-size: 12.5px; }

.table-card { overflow-x: auto; }
table { width: 100%; min-width: 820px; border-collapse: collapse; table-layout: fixed; }
th {
  position: sticky;
  top: 0;
  padding: 9px 14px;
  background: var(--surface-2);
  border-bottom: 1px solid var(--border);
  color: var(--muted);
  font-size: 12px;
  font-weight: 600;
  text-align: left;
  text-transform: uppercase;
  letter-spacing: 0.04em;
}
th:first-child { border-top-left-radius: 10px; }
th:last-child { border-top-right-radius: 10px; }
td { padding: 8px 14px; vertical-align: top; border-bottom: 1px solid var(--border); }
td, td > * { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
tbody.event:last-of-type tr:last-child td { border-bottom: 0; }
tbody.event:hover .event-row td { background: var(--surface-2); }
tbody.event.fresh .event-row td { animation: fresh 1.6s ease-out; }
@keyframes fresh { from { background: var(--fresh); } }
@media (prefers-reduced-motion: reduce) {
  tbody.event.fresh .event-row td, .status.live .dot { animation: none; }
}
.col-time { width: 118px; }
.col-lib { width: 118px; }
.col-event { width: 24%; }
.col-id { width: 20%; }
td.col-time { font-variant-numeric: tabular-nums; }
td.col-time .date { display: block; color: var(--faint); font-size: 11.5px; }
td.col-lib .version { color: var(--faint); margin-left: 5px; }
.pill {
  display: inline-block;
  max-width: 100%;
  padding: 1px 9px;
  border: 0;
  border-radius: 999px;
  background: var(--accent-soft);
  color: var(--accent-text);
  font-weight: 600;
  text-align: left;
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
  cursor: pointer;
}
.link {
  max-width: 100%;
  padding: 0;
  border: 0;
  background: none;
  text-align: left;
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
  cursor: pointer;
}
.pill:hover, .link:hover { text-decoration: underline; }
.toggle {
  display: inline-flex;
  align-items: center;
  gap: 4px;
  padding: 0 6px 0 0;
  border: 0;
  background: none;
  color: var(--accent-text);
  font-weight: 600;
  cursor: pointer;
}
.toggle::before { content: "\25B8"; display: inline-block; width: 12px; transition: transform 0.15s; }
.toggle[aria-expanded="true"]::before { transform: rotate(90deg); }
.preview { color: var(--muted); margin-left: 6px; }
tr.details td { padding: 0 14px 14px 146px; background: var(--surface-2); white-space: normal; }
.props {
  display: grid;
  grid-template-columns: minmax(120px, max-content) 1fr;
  gap: 3px 18px;
  margin: 0;
  padding: 12px 14px;
  border: 1px solid var(--border);
  border-radius: 8px;
  background: var(--surface);
}
.props dt { color: var(--muted); font-family: var(--mono); font-size: 12.5px; }
.props dt.stamped, .props dd.stamped { color: var(--faint); }
.props dd { margin: 0; }
.props pre { margin: 0; white-space: pre-wrap; word-break: break-word; }
.empty { padding: 36px 20px 40px; text-align: center; color: var(--muted); }
.empty h3 { margin: 0 0 6px; color: var(--text); font-size: 15px; }
.empty p { margin: 4px 0; }
.empty code { display: inline-block; margin-top: 8px; padding: 6px 10px; border-radius: 6px; background: var(--surface-2); border: 1px solid var(--border); color: var(--text); }
@media (max-width: 760px) {
  .topbar { flex-wrap: wrap; gap: 10px 16px; padding: 10px 16px; }
  main { padding: 16px; }
  .field input { width: 100%; }
}
`;
