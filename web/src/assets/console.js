// The operator console: GET /v1/groups every second (the admin API: loopback clients, or
// "Authorization: Bearer <http.api_key>", asked for when the API answers 401), one row per
// group and a chart of its bitrate and viewers over the last minute.
import uPlot from './uPlot.esm.js';

const POLL_MS = 1000;
const WINDOW_S = 60;
const KEY_STORAGE = 'callcast.apiKey';

const $ = (id) => document.getElementById(id);
const tbody = $('groups');
const keyForm = $('key-form');
const updated = $('updated');
const alertBox = $('error');

// For people and for tests (tests/browser/console.mjs): the latest answer and each group's
// charted history (x: unix seconds, bitrate Mbit/s, viewers).
const consoleState = { groups: [], history: {}, charts: {}, polls: 0, error: null };
window.callcast = consoleState;
const rows = new Map();  // group -> {row, cells, chart, history, lastNacks, lastAt}

// Viewer transports as the snapshot names them: RTSP over UDP or TCP, a SIP phone's plain RTP,
// a browser's WebRTC.
function viewerKind(transport) {
  switch (transport) {
    case 'udp':
    case 'tcp':
      return 'rtsp';
    case 'rtp':
      return 'phone';
    case 'webrtc':
      return 'browser';
    default:
      return 'other';
  }
}

function formatBitrate(bps) {
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(2)} Mbit/s`;
  return `${Math.round(bps / 1e3)} kbit/s`;
}

function summarize(group) {
  const kinds = { rtsp: 0, phone: 0, browser: 0, other: 0 };
  let worstLoss = null;
  for (const viewer of group.viewers || []) {
    kinds[viewerKind(viewer.transport)] += 1;
    const lost = viewer.reception?.fraction_lost;
    if (typeof lost === 'number' && (worstLoss === null || lost > worstLoss)) worstLoss = lost;
  }
  const bitrate = (group.tracks || []).reduce((sum, t) => sum + (t.bitrate_bps || 0), 0);
  return { kinds, viewers: (group.viewers || []).length, bitrate, worstLoss, nacks: group.repair?.nacks_received ?? 0 };
}

// One chart per group: bitrate (Mbit/s, left axis) and viewers (right axis, stepped) over the
// last WINDOW_S seconds, the window ending now so that it scrolls every poll.
function chartWidth() {
  return Math.max(260, Math.min(900, document.querySelector('.table-wrap').clientWidth - 24));
}

function makeChart(cell, history) {
  const opts = {
    width: chartWidth(),
    height: 150,
    legend: { show: true, live: false },
    cursor: { show: false },
    scales: {
      x: { time: false, range: () => [history.now - WINDOW_S, history.now] },
      mbps: { range: (u, min, max) => [0, Math.max(0.5, Math.ceil(max * 1.2 * 2) / 2)] },
      n: { range: (u, min, max) => [0, Math.max(4, max + 1)] },
    },
    axes: [
      {
        size: 30,
        splits: () => [60, 45, 30, 15, 0].map((ago) => history.now - ago),
        values: (u, ticks) => ticks.map((t) => (Math.round(t - history.now) === 0 ? 'now' : `${Math.round(t - history.now)} s`)),
      },
      { scale: 'mbps', size: 50, values: (u, ticks) => ticks.map((t) => `${t.toFixed(1)}`) },
      { scale: 'n', side: 1, size: 30, grid: { show: false }, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] },
    ],
    series: [
      { label: 'time' },
      { label: 'bitrate (Mbit/s)', scale: 'mbps', stroke: '#0b5cad', width: 2, value: (u, v) => v?.toFixed(2) ?? '-' },
      { label: 'viewers', scale: 'n', stroke: '#c2410c', width: 2, paths: uPlot.paths.stepped({ align: 1 }) },
    ],
  };
  return new uPlot(opts, [history.t, history.mbps, history.viewers], cell);
}

function addRow(group) {
  const row = document.createElement('tr');
  row.dataset.group = group.group;
  const cells = {};
  const labels = { master: 'Master', state: 'State', viewers: 'Viewers', bitrate: 'Bitrate', loss: 'Loss', nacks: 'NACK/s' };
  for (const name of ['group', 'master', 'state', 'viewers', 'bitrate', 'loss', 'nacks', 'watch']) {
    cells[name] = document.createElement(name === 'group' ? 'th' : 'td');
    cells[name].className = name;
    // On a narrow screen the cells stack and say what they are (style.css).
    if (labels[name]) cells[name].dataset.label = labels[name];
    row.append(cells[name]);
  }
  cells.group.scope = 'row';
  const link = document.createElement('a');
  link.textContent = 'watch';
  cells.watch.append(link);
  // The chart on a row of its own below, as wide as the table (readable on a phone too).
  const chartRow = document.createElement('tr');
  chartRow.className = 'chart-row';
  chartRow.dataset.chartFor = group.group;
  const chartCell = document.createElement('td');
  chartCell.colSpan = 8;
  chartCell.className = 'chart';
  chartCell.setAttribute('role', 'img');
  chartRow.append(chartCell);
  tbody.append(row, chartRow);
  const history = { t: [], mbps: [], viewers: [], now: Date.now() / 1000 };
  const entry = { row, chartRow, cells, chartCell, link, history, chart: null, lastNacks: null, lastAt: null };
  entry.chart = makeChart(chartCell, history);
  consoleState.history[group.group] = history;
  consoleState.charts[group.group] = entry.chart;
  rows.set(group.group, entry);
  return entry;
}

function updateRow(entry, group, now) {
  const s = summarize(group);
  const { cells, history } = entry;
  cells.group.textContent = group.group;
  cells.master.textContent = group.master;
  cells.state.textContent = group.state;
  const parts = Object.entries({ RTSP: s.kinds.rtsp, phone: s.kinds.phone, browser: s.kinds.browser, other: s.kinds.other })
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${kind} ${n}`);
  cells.viewers.textContent = parts.length ? `${s.viewers} (${parts.join(', ')})` : `${s.viewers}`;
  cells.bitrate.textContent = formatBitrate(s.bitrate);
  cells.loss.textContent = s.worstLoss === null ? '-' : `${(s.worstLoss * 100).toFixed(1)} %`;
  if (entry.lastAt !== null && now > entry.lastAt) {
    const rate = Math.max(0, s.nacks - entry.lastNacks) / (now - entry.lastAt);
    cells.nacks.textContent = rate.toFixed(1);
  } else {
    cells.nacks.textContent = '-';
  }
  entry.lastNacks = s.nacks;
  entry.lastAt = now;
  entry.link.href = `/watch?number=${encodeURIComponent(group.master)}`;
  entry.link.setAttribute('aria-label', `watch ${group.master}`);

  history.now = now;
  history.t.push(now);
  history.mbps.push(s.bitrate / 1e6);
  history.viewers.push(s.viewers);
  while (history.t.length && history.t[0] < now - WINDOW_S) {
    history.t.shift();
    history.mbps.shift();
    history.viewers.shift();
  }
  entry.chartCell.setAttribute('aria-label',
    `bitrate ${formatBitrate(s.bitrate)} and ${s.viewers} viewers, over the last ${WINDOW_S} seconds`);
  entry.chart.setData([history.t, history.mbps, history.viewers]);
}

function render(groups) {
  const now = Date.now() / 1000;
  const seen = new Set();
  for (const group of groups) {
    seen.add(group.group);
    updateRow(rows.get(group.group) || addRow(group), group, now);
  }
  for (const [name, entry] of rows) {
    if (seen.has(name)) continue;
    entry.chart.destroy();
    entry.row.remove();
    entry.chartRow.remove();
    rows.delete(name);
    delete consoleState.history[name];
    delete consoleState.charts[name];
  }
  $('no-groups').hidden = groups.length > 0;
  updated.textContent = `${groups.length} group${groups.length === 1 ? '' : 's'}, updated ${new Date().toLocaleTimeString()}`;
}

async function poll() {
  const headers = {};
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (key) headers.Authorization = `Bearer ${key}`;
  try {
    const response = await fetch('/v1/groups', { headers, cache: 'no-store' });
    if (response.status === 401) {
      sessionStorage.removeItem(KEY_STORAGE);
      keyForm.hidden = false;
      showError(key ? 'That API key was refused.' : 'The admin API needs its key (http.api_key).');
      return;
    }
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      showError(`${body?.message || response.statusText} (HTTP ${response.status})`);
      return;
    }
    const body = await response.json();
    keyForm.hidden = true;
    showError('');
    consoleState.groups = body.groups || [];
    consoleState.polls += 1;
    render(consoleState.groups);
  } catch (e) {
    showError(`the server did not answer (${e.message})`);
  }
}

function showError(message) {
  consoleState.error = message || null;
  if (alertBox.textContent !== message) alertBox.textContent = message;
}

keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY_STORAGE, $('api-key').value.trim());
  $('api-key').value = '';
  poll();
});

// Polls one after another (never two in flight), one a second.
async function loop() {
  await poll();
  setTimeout(loop, POLL_MS);
}
loop();

// Charts follow the page's width (a phone turned, a window resized).
window.addEventListener('resize', () => {
  for (const entry of rows.values()) entry.chart.setSize({ width: chartWidth(), height: 150 });
});
