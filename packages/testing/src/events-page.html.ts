import { createHash } from 'node:crypto';
import { EVENTS_PAGE_SCRIPT } from './events-page-script.js';
import { EVENTS_PAGE_STYLE } from './events-page-style.js';

// A small chart-bars mark, also the favicon (a data: URL, so the browser asks the server for
// no /favicon.ico, which would land in the request log as a 404).
const LOGO = `<svg class="logo" viewBox="0 0 32 32" aria-hidden="true"><rect width="32" height="32" rx="8" fill="#5b5bd6"/><rect x="8" y="15" width="4" height="9" rx="1.5" fill="#fff"/><rect x="14" y="9" width="4" height="15" rx="1.5" fill="#fff"/><rect x="20" y="12" width="4" height="12" rx="1.5" fill="#c7c7ff"/></svg>`;
const FAVICON = `data:image/svg+xml,${encodeURIComponent(
  LOGO.replace(' class="logo"', ' xmlns="http://www.w3.org/2000/svg"').replace(
    ' aria-hidden="true"',
    '',
  ),
)}`;

/**
 * The live events page: one self-contained HTML document (inline CSS and script, no external
 * resource of any kind), served at `/` by the test server and `cohorly-dev-server`.
 */
export const EVENTS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Cohorly · live events</title>
<link rel="icon" href="${FAVICON}">
<style>${EVENTS_PAGE_STYLE}</style>
</head>
<body>
<header class="topbar">
  <div class="brand">${LOGO}<span>Cohorly</span><span class="brand-sub">live events</span></div>
  <div class="server"><span class="label">Server</span><code id="server-url"></code></div>
  <div class="spacer"></div>
  <div class="counts">
    <span><b id="count-total">0</b> events</span>
    <span class="dim">·</span>
    <span><b id="count-shown">0</b> shown</span>
  </div>
  <span id="status" class="status connecting" role="status"><span class="dot"></span><span id="status-text">Connecting…</span></span>
</header>
<main>
  <section class="card chart-card" aria-labelledby="chart-title">
    <div class="card-head">
      <h2 id="chart-title">Events per minute</h2>
      <span class="hint">received in the last 30 minutes, by event name</span>
    </div>
    <div class="chart-wrap">
      <svg id="chart" viewBox="0 0 960 180" role="img" aria-label="Events per minute by event name"></svg>
      <p id="chart-empty" class="chart-empty"><span id="chart-empty-text">No events in the last 30 minutes</span></p>
    </div>
    <ul id="legend" class="legend" aria-label="Legend"></ul>
  </section>
  <section class="filters" aria-label="Filters">
    <label class="field"><span>Event</span><input id="filter-event" type="search" list="event-names" placeholder="Filter by event name  ( / )" autocomplete="off" spellcheck="false"></label>
    <label class="field"><span>Distinct ID</span><input id="filter-distinct-id" type="search" placeholder="Filter by distinct id" autocomplete="off" spellcheck="false"></label>
    <button id="clear-filters" type="button" class="button" disabled>Clear filters</button>
    <datalist id="event-names"></datalist>
    <span class="note">Newest first · the latest 500 events · click a name or id to filter</span>
  </section>
  <section class="card table-card">
    <table id="events">
      <thead><tr><th class="col-time">Time</th><th class="col-lib">Library</th><th class="col-event">Event</th><th class="col-id">Distinct ID</th><th class="col-props">Properties</th></tr></thead>
    </table>
    <div id="empty" class="empty">
      <h3 id="empty-title">No events yet</h3>
      <p id="empty-hint"></p>
      <code id="snippet"></code>
    </div>
  </section>
</main>
<script>${EVENTS_PAGE_SCRIPT}</script>
</body>
</html>
`;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/**
 * The page's Content-Security-Policy: its own inline style and script (by hash), requests to
 * its own origin, data: images; nothing else. Even a rendering bug could not run injected
 * script or load anything from elsewhere.
 */
export const EVENTS_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${sha256(EVENTS_PAGE_SCRIPT)}`,
  `style-src ${sha256(EVENTS_PAGE_STYLE)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
