/**
 * The script of the live events page, inlined into it (the page must work offline). It loads
 * the snapshot from `GET /api/events`, follows `GET /api/stream`, filters, and draws the
 * per-minute chart as inline SVG.
 *
 * Everything it shows comes from what SDKs sent, which is arbitrary text: it is only ever put
 * into the page through `textContent` and attribute values, never parsed as HTML. The page's
 * Content-Security-Policy allows this exact script (by hash) and nothing else, as a second
 * line of defence.
 *
 * Written as plain ES2020 inside `String.raw` (so escapes such as `\n` reach the browser
 * unchanged); it must contain neither a backtick nor a dollar sign followed by a brace.
 */
export const EVENTS_PAGE_SCRIPT = String.raw`
(function () {
  'use strict';

  var MAX_EVENTS = 500;
  var CHART_MINUTES = 30;
  var CHART_SERIES = 7;
  var MINUTE = 60000;
  var PALETTE = ['#5b5bd6', '#0ea5e9', '#10b981', '#f59e0b', '#ef4444', '#a855f7', '#14b8a6'];
  var OTHER_COLOR = '#9ca3af';
  var STAMPED = ['distinct_id', 'time', '$insert_id', '$lib', '$lib_version'];
  var SVG_NS = 'http://www.w3.org/2000/svg';

  function byId(id) { return document.getElementById(id); }

  var els = {
    url: byId('server-url'),
    status: byId('status'),
    statusText: byId('status-text'),
    total: byId('count-total'),
    shown: byId('count-shown'),
    eventFilter: byId('filter-event'),
    idFilter: byId('filter-distinct-id'),
    clear: byId('clear-filters'),
    names: byId('event-names'),
    table: byId('events'),
    empty: byId('empty'),
    emptyTitle: byId('empty-title'),
    emptyHint: byId('empty-hint'),
    snippet: byId('snippet'),
    chart: byId('chart'),
    chartEmpty: byId('chart-empty'),
    chartEmptyText: byId('chart-empty-text'),
    legend: byId('legend'),
  };

  var state = {
    events: [], // newest first, at most MAX_EVENTS
    ids: new Set(),
    names: new Set(),
    total: 0,
    expanded: new Set(),
    groups: new Map(), // event id -> its <tbody> while shown
    loading: false,
    pending: [],
    epoch: 0,
  };

  // ---- small helpers -------------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svg(tag, attributes, text) {
    var node = document.createElementNS(SVG_NS, tag);
    for (var name in attributes) node.setAttribute(name, String(attributes[name]));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function pad(value, width) {
    var text = String(value);
    while (text.length < (width || 2)) text = '0' + text;
    return text;
  }

  function isoTime(ms) {
    var date = new Date(ms);
    return isNaN(date.getTime()) ? String(ms) : date.toISOString();
  }

  function clockTime(ms) {
    var date = new Date(ms);
    return pad(date.getHours()) + ':' + pad(date.getMinutes()) + ':' + pad(date.getSeconds());
  }

  function shortDate(ms) {
    var date = new Date(ms);
    return date.getFullYear() + '-' + pad(date.getMonth() + 1) + '-' + pad(date.getDate());
  }

  function plural(count, word) {
    return count + ' ' + word + (count === 1 ? '' : 's');
  }

  // The SDKs send 'time' in epoch milliseconds; older ones sent seconds. Anything below 1e11
  // (a date in 1973 as milliseconds) is read as seconds.
  function eventTime(view) {
    var time = view.properties.time;
    if (typeof time !== 'number' || !isFinite(time)) return view.receivedAt;
    return time < 1e11 ? time * 1000 : time;
  }

  function json(value, indent) {
    try {
      var text = JSON.stringify(value, null, indent);
      return text === undefined ? String(value) : text;
    } catch (error) {
      return String(value);
    }
  }

  function userProperties(view) {
    return Object.keys(view.properties).filter(function (key) {
      return STAMPED.indexOf(key) < 0;
    });
  }

  function preview(view) {
    var text = userProperties(view).slice(0, 4).map(function (key) {
      return key + ': ' + json(view.properties[key]);
    }).join(', ');
    return text.length > 140 ? text.slice(0, 139) + '\u2026' : text;
  }

  // ---- filters -------------------------------------------------------------------------

  function filters() {
    return {
      event: els.eventFilter.value.trim().toLowerCase(),
      id: els.idFilter.value.trim().toLowerCase(),
    };
  }

  function matcher() {
    var current = filters();
    return function (view) {
      return (current.event === '' || view.event.toLowerCase().indexOf(current.event) >= 0) &&
        (current.id === '' || view.distinctId.toLowerCase().indexOf(current.id) >= 0);
    };
  }

  function filtersChanged() {
    var current = filters();
    els.clear.disabled = current.event === '' && current.id === '';
    var params = new URLSearchParams();
    if (els.eventFilter.value !== '') params.set('event', els.eventFilter.value);
    if (els.idFilter.value !== '') params.set('distinct_id', els.idFilter.value);
    var query = params.toString();
    history.replaceState(null, '', query === '' ? location.pathname : '?' + query);
    renderTable();
    renderChart();
  }

  function setFilter(input, value) {
    input.value = value;
    filtersChanged();
  }

  // ---- table ---------------------------------------------------------------------------

  function buildGroup(view) {
    var group = el('tbody', 'event');
    group.dataset.id = String(view.id);
    var row = el('tr', 'event-row');
    group.appendChild(row);

    var time = eventTime(view);
    var timeCell = el('td', 'col-time');
    var timeNode = el('time', null, clockTime(time));
    timeNode.dateTime = isoTime(time);
    timeCell.title = 'sent ' + isoTime(time) + '\nreceived ' + isoTime(view.receivedAt);
    timeCell.appendChild(timeNode);
    if (shortDate(time) !== shortDate(Date.now())) {
      timeCell.appendChild(el('span', 'date', shortDate(time)));
    }
    row.appendChild(timeCell);

    var lib = view.properties.$lib;
    var version = view.properties.$lib_version;
    var libCell = el('td', 'col-lib');
    libCell.appendChild(el('span', 'lib', typeof lib === 'string' ? lib : '\u2013'));
    if (typeof version === 'string' || typeof version === 'number') {
      libCell.appendChild(el('span', 'version', String(version)));
    }
    libCell.title = [lib, version].filter(function (part) { return part !== undefined; }).join(' ');
    row.appendChild(libCell);

    var eventCell = el('td', 'col-event');
    var name = el('button', 'pill', view.event);
    name.type = 'button';
    name.title = 'Show only ' + view.event;
    name.addEventListener('click', function () { setFilter(els.eventFilter, view.event); });
    eventCell.appendChild(name);
    row.appendChild(eventCell);

    var idCell = el('td', 'col-id');
    var id = el('button', 'link mono', view.distinctId);
    id.type = 'button';
    id.title = 'Show only ' + view.distinctId;
    id.addEventListener('click', function () { setFilter(els.idFilter, view.distinctId); });
    idCell.appendChild(id);
    row.appendChild(idCell);

    var propsCell = el('td', 'col-props');
    var count = Object.keys(view.properties).length;
    var toggle = el('button', 'toggle', count + (count === 1 ? ' property' : ' properties'));
    toggle.type = 'button';
    propsCell.appendChild(toggle);
    propsCell.appendChild(el('span', 'preview mono', preview(view)));
    row.appendChild(propsCell);

    function setExpanded(expanded) {
      toggle.setAttribute('aria-expanded', String(expanded));
      var details = group.querySelector('tr.details');
      if (expanded && !details) group.appendChild(buildDetails(view));
      if (!expanded && details) details.remove();
    }
    toggle.addEventListener('click', function () {
      var expanded = !state.expanded.has(view.id);
      if (expanded) state.expanded.add(view.id); else state.expanded.delete(view.id);
      setExpanded(expanded);
    });
    setExpanded(state.expanded.has(view.id));
    state.groups.set(view.id, group);
    return group;
  }

  function buildDetails(view) {
    var row = el('tr', 'details');
    var cell = el('td');
    cell.colSpan = 5;
    var list = el('dl', 'props');
    function add(key, text, stamped) {
      list.appendChild(el('dt', stamped ? 'stamped' : '', key));
      var value = el('dd', stamped ? 'stamped' : '');
      value.appendChild(el('pre', null, text));
      list.appendChild(value);
    }
    userProperties(view).forEach(function (key) { add(key, json(view.properties[key], 2), false); });
    STAMPED.forEach(function (key) {
      if (key in view.properties) add(key, json(view.properties[key], 2), true);
    });
    Object.keys(view.meta || {}).forEach(function (key) {
      add('(message) ' + key, json(view.meta[key], 2), true);
    });
    add('received', isoTime(view.receivedAt), true);
    cell.appendChild(list);
    row.appendChild(cell);
    return row;
  }

  function renderTable() {
    state.groups.forEach(function (group) { group.remove(); });
    state.groups.clear();
    var matches = matcher();
    var fragment = document.createDocumentFragment();
    state.events.forEach(function (view) {
      if (matches(view)) fragment.appendChild(buildGroup(view));
    });
    els.table.appendChild(fragment);
    renderCounts();
  }

  function renderCounts() {
    els.total.textContent = String(state.total);
    els.shown.textContent = String(state.groups.size);
    var none = state.groups.size === 0;
    els.empty.hidden = !none;
    if (!none) return;
    var filtered = state.events.length > 0;
    els.emptyTitle.textContent = filtered ? 'No events match the filters' : 'No events yet';
    els.emptyHint.textContent = filtered
      ? 'Clear the filters, or wait for a matching event.'
      : 'Point an SDK at this server and events appear here as they arrive:';
    els.snippet.hidden = filtered;
  }

  function addName(name) {
    if (state.names.has(name)) return;
    state.names.add(name);
    var option = document.createElement('option');
    option.value = name;
    els.names.appendChild(option);
  }

  function addEvent(view) {
    if (state.ids.has(view.id)) return;
    state.ids.add(view.id);
    state.total += 1;
    state.events.unshift(view);
    addName(view.event);
    while (state.events.length > MAX_EVENTS) {
      var dropped = state.events.pop();
      state.ids.delete(dropped.id);
      state.expanded.delete(dropped.id);
      var gone = state.groups.get(dropped.id);
      if (gone) { gone.remove(); state.groups.delete(dropped.id); }
    }
    if (matcher()(view)) {
      var group = buildGroup(view);
      group.classList.add('fresh');
      els.table.insertBefore(group, els.table.querySelector('tbody.event'));
    }
    renderCounts();
    scheduleChart();
  }

  function clearEvents() {
    state.events = [];
    state.ids = new Set();
    state.expanded.clear();
    state.total = 0;
    renderTable();
    renderChart();
  }

  // ---- chart ---------------------------------------------------------------------------

  var chartTimer;
  function scheduleChart() {
    // Bursts of events redraw the chart once.
    if (chartTimer === undefined) chartTimer = setTimeout(renderChart, 150);
  }

  // The top of the scale: an even number, so the middle gridline is a whole count too.
  function scaleMax(peak) {
    if (peak <= 10) return Math.max(2, Math.ceil(peak / 2) * 2);
    var step = Math.pow(10, Math.floor(Math.log10(peak)));
    var steps = [1, 2, 4, 6, 8, 10];
    for (var i = 0; i < steps.length; i += 1) {
      if (steps[i] * step >= peak) return steps[i] * step;
    }
    return 10 * step;
  }

  function renderChart() {
    clearTimeout(chartTimer);
    chartTimer = undefined;
    var end = Math.floor(Date.now() / MINUTE) * MINUTE + MINUTE;
    var start = end - CHART_MINUTES * MINUTE;
    var buckets = [];
    for (var b = 0; b < CHART_MINUTES; b += 1) buckets.push(new Map());
    var totals = new Map();
    var matches = matcher();
    state.events.forEach(function (view) {
      if (view.receivedAt < start || view.receivedAt >= end || !matches(view)) return;
      var bucket = buckets[Math.floor((view.receivedAt - start) / MINUTE)];
      bucket.set(view.event, (bucket.get(view.event) || 0) + 1);
      totals.set(view.event, (totals.get(view.event) || 0) + 1);
    });
    var ranked = Array.from(totals.entries()).sort(function (a, b) {
      return b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
    });
    var series = ranked.slice(0, CHART_SERIES).map(function (entry, index) {
      return { name: entry[0], label: entry[0], count: entry[1], color: PALETTE[index] };
    });
    var shownNames = new Set(series.map(function (s) { return s.name; }));
    var rest = ranked.slice(CHART_SERIES);
    if (rest.length > 0) {
      series.push({
        name: null,
        label: 'Other (' + plural(rest.length, 'name') + ')',
        count: rest.reduce(function (sum, entry) { return sum + entry[1]; }, 0),
        color: OTHER_COLOR,
      });
    }
    function countIn(bucket, entry) {
      if (entry.name !== null) return bucket.get(entry.name) || 0;
      var sum = 0;
      bucket.forEach(function (count, name) { if (!shownNames.has(name)) sum += count; });
      return sum;
    }

    var width = 960, height = 180, left = 36, right = 6, top = 8, bottom = 24;
    var plotWidth = width - left - right, plotHeight = height - top - bottom;
    var peak = 0;
    buckets.forEach(function (bucket) {
      var sum = 0;
      bucket.forEach(function (count) { sum += count; });
      peak = Math.max(peak, sum);
    });
    var max = scaleMax(peak);
    var chart = els.chart;
    while (chart.firstChild) chart.removeChild(chart.firstChild);
    [0, 0.5, 1].forEach(function (fraction) {
      var y = top + plotHeight - fraction * plotHeight;
      chart.appendChild(svg('line', { class: 'grid', x1: left, x2: width - right, y1: y, y2: y }));
      var label = svg('text', { class: 'axis', x: left - 8, y: y + 4, 'text-anchor': 'end' },
        String(max * fraction));
      chart.appendChild(label);
    });
    var slot = plotWidth / CHART_MINUTES;
    var barWidth = Math.max(2, slot - Math.min(6, slot * 0.28));
    buckets.forEach(function (bucket, index) {
      var minuteStart = start + index * MINUTE;
      var x = left + index * slot + (slot - barWidth) / 2;
      var y = top + plotHeight;
      series.forEach(function (entry) {
        var count = countIn(bucket, entry);
        if (count === 0) return;
        var barHeight = Math.max(1, (count / max) * plotHeight);
        y -= barHeight;
        var bar = svg('rect', {
          class: 'bar', x: x.toFixed(1), y: y.toFixed(1), width: barWidth.toFixed(1),
          height: barHeight.toFixed(1), fill: entry.color, rx: 1.5,
        });
        bar.setAttribute('data-event', entry.name === null ? '' : entry.name);
        bar.appendChild(svg('title', {}, entry.label + ': ' + count + ' at ' +
          clockTime(minuteStart).slice(0, 5)));
        chart.appendChild(bar);
      });
      var date = new Date(minuteStart);
      if (date.getMinutes() % 5 === 0) {
        chart.appendChild(svg('text', {
          class: 'axis', x: (left + index * slot + slot / 2).toFixed(1), y: height - 6,
          'text-anchor': 'middle',
        }, pad(date.getHours()) + ':' + pad(date.getMinutes())));
      }
    });
    els.chartEmpty.hidden = series.length > 0;
    var current = filters();
    els.chartEmptyText.textContent = current.event === '' && current.id === ''
      ? 'No events in the last 30 minutes'
      : 'No matching events in the last 30 minutes';

    var legend = els.legend;
    while (legend.firstChild) legend.removeChild(legend.firstChild);
    series.forEach(function (entry) {
      var item = el('li');
      if (entry.name !== null) item.setAttribute('data-event', entry.name);
      var swatch = el('span', 'swatch');
      swatch.style.backgroundColor = entry.color;
      item.appendChild(swatch);
      var name = el('span', 'name', entry.label);
      name.title = entry.label;
      item.appendChild(name);
      item.appendChild(el('span', 'count', String(entry.count)));
      legend.appendChild(item);
    });
  }

  // ---- live data -----------------------------------------------------------------------

  function setStatus(kind, text) {
    els.status.className = 'status ' + kind;
    els.statusText.textContent = text;
  }

  function loadSnapshot() {
    var epoch = (state.epoch += 1);
    state.loading = true;
    state.pending = [];
    function finish() {
      state.loading = false;
      var pending = state.pending;
      state.pending = [];
      pending.forEach(addEvent);
    }
    fetch('/api/events', { cache: 'no-store' })
      .then(function (response) {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      })
      .then(function (body) {
        // A reset or a newer load came first: that one decides.
        if (epoch !== state.epoch) return;
        state.events = body.events.slice(0, MAX_EVENTS);
        state.ids = new Set(state.events.map(function (view) { return view.id; }));
        state.events.forEach(function (view) { addName(view.event); });
        state.total = body.total;
        renderTable();
        finish();
        renderChart();
      })
      .catch(function (error) {
        if (epoch !== state.epoch) return;
        setStatus('error', 'Could not load events (' + error.message + ')');
        finish();
      });
  }

  function connect() {
    var source = new EventSource('/api/stream');
    source.addEventListener('open', function () {
      setStatus('live', 'Live');
      // Also after a reconnect: whatever arrived while disconnected is in the snapshot.
      loadSnapshot();
    });
    source.addEventListener('stored', function (message) {
      var view;
      try { view = JSON.parse(message.data); } catch (error) { return; }
      if (state.loading) state.pending.push(view); else addEvent(view);
    });
    source.addEventListener('reset', function () {
      clearEvents();
      if (state.loading) loadSnapshot();
    });
    source.addEventListener('error', function () {
      if (source.readyState === EventSource.CLOSED) setStatus('error', 'Disconnected');
      else setStatus('reconnecting', 'Reconnecting\u2026');
    });
  }

  // ---- start ---------------------------------------------------------------------------

  els.url.textContent = location.origin;
  els.url.title = 'Pass this as apiHost';
  els.snippet.textContent = "new Cohorly('<project token>', { apiHost: '" + location.origin + "' })";
  var initial = new URLSearchParams(location.search);
  els.eventFilter.value = initial.get('event') || '';
  els.idFilter.value = initial.get('distinct_id') || '';
  els.clear.disabled = els.eventFilter.value === '' && els.idFilter.value === '';
  els.eventFilter.addEventListener('input', filtersChanged);
  els.idFilter.addEventListener('input', filtersChanged);
  els.clear.addEventListener('click', function () {
    els.eventFilter.value = '';
    els.idFilter.value = '';
    filtersChanged();
    els.eventFilter.focus();
  });
  document.addEventListener('keydown', function (event) {
    var target = event.target;
    if (event.key === '/' && !(target instanceof HTMLInputElement)) {
      event.preventDefault();
      els.eventFilter.focus();
    }
  });
  // The chart's window moves with the clock even when no event arrives.
  setInterval(renderChart, 15000);
  renderCounts();
  renderChart();
  connect();
})();
`;
