#!/usr/bin/env node
// Opens the operator console (/) in headless Chromium, waits until group --group is listed,
// samples its chart twice --seconds apart and prints one JSON line:
//   {ok, groups, group, viewers, row: {group, master, state, viewers, bitrate, loss, nacks},
//    watch_href, chart_points, chart_moved, polls, error_text, screenshot}
// ok: the group's row is there with its master and a watch link, and the chart's data changed
// between the two samples (new points at later times). --api-key: typed into the page's key
// form when the admin API answers 401 (as an operator would).
//   node tests/browser/console.mjs --base http://127.0.0.1:8080 --group 13800000001 \
//     --seconds 3 --screenshot console.png [--api-key KEY]
import { commandLine, fail, finish, hardDeadline, launchChromium, sleep, waitFor } from './lib.mjs';

const args = commandLine(
  {
    base: { type: 'string' },
    group: { type: 'string' },
    'api-key': { type: 'string' },
    seconds: { type: 'string', default: '3' },
    screenshot: { type: 'string' },
  },
  ['base', 'group'],
);
const seconds = Number(args.seconds);
let latest = {};
hardDeadline(Number(args.timeout), () => latest);

const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 600 } });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const response = await page.goto(`${args.base}/`);
  if (!response || response.status() !== 200) {
    fail({ error: `GET / answered ${response?.status()}: ${await response?.text()}` });
  }
  await page.waitForFunction(() => window.callcast !== undefined, null, { timeout: 5000 });

  if (args['api-key'] !== undefined) {
    await page.waitForSelector('#key-form:not([hidden])', { timeout: 5000 });
    await page.fill('#api-key', args['api-key']);
    await page.click('#key-form button[type=submit]');
  }

  const sample = () => page.evaluate((group) => {
    const c = window.callcast;
    const chart = c.charts[group];
    const row = document.querySelector(`tr[data-group="${CSS.escape(group)}"]`);
    const cell = (name) => row?.querySelector(`.${name}`)?.textContent?.trim() ?? null;
    const snapshot = c.groups.find((g) => g.group === group);
    return {
      groups: c.groups.map((g) => g.group),
      polls: c.polls,
      error_text: document.getElementById('error').textContent.trim(),
      viewers: snapshot ? snapshot.viewers.length : null,
      row: row ? {
        group: cell('group'), master: cell('master'), state: cell('state'), viewers: cell('viewers'),
        bitrate: cell('bitrate'), loss: cell('loss'), nacks: cell('nacks'),
      } : null,
      watch_href: row?.querySelector('.watch a')?.getAttribute('href') ?? null,
      chart: chart ? { points: chart.data[0].length, last_t: chart.data[0].at(-1) ?? null,
                       last_mbps: chart.data[1].at(-1) ?? null,
                       has_canvas: Boolean(document.querySelector(`tr[data-chart-for="${CSS.escape(group)}"] canvas`)) } : null,
    };
  }, args.group);

  const first = await waitFor(async () => {
    latest = await sample();
    return latest.row && latest.chart && latest.chart.points >= 2 ? latest : null;
  }, Math.max(5, Number(args.timeout) - seconds - 10) * 1000);
  if (!first) {
    fail({ ...latest, error: `group ${args.group} did not appear in the console` });
  }
  await sleep(seconds * 1000);
  const second = await sample();
  latest = second;
  const chartMoved = second.chart !== null && second.chart.last_t > first.chart.last_t &&
    second.chart.points > first.chart.points - 1;
  const result = {
    ok: false,
    groups: second.groups,
    group: args.group,
    viewers: second.viewers,
    row: second.row,
    watch_href: second.watch_href,
    chart_points: second.chart?.points ?? 0,
    chart_has_canvas: second.chart?.has_canvas ?? false,
    chart_moved: chartMoved,
    chart_mbps: second.chart?.last_mbps ?? null,
    polls: second.polls,
    error_text: second.error_text,
  };
  result.ok = chartMoved && result.chart_has_canvas && second.row !== null &&
    second.row.master !== '' && result.watch_href === `/watch?number=${encodeURIComponent(second.row.master)}`;
  if (args.screenshot) {
    await page.screenshot({ path: args.screenshot, fullPage: true });
    result.screenshot = args.screenshot;
  }
  if (pageErrors.length) {
    result.page_errors = pageErrors;
    result.ok = false;
  }
  await browser.close();
  finish(result);
} catch (e) {
  await browser.close().catch(() => {});
  fail({ ...latest, error: e.message });
}
