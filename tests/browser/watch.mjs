#!/usr/bin/env node
// Watches a number through the /watch page (WHEP) in headless Chromium and prints one JSON line:
//   {ok, join_ms, frames_decoded, audio_samples_received, frame_width, frame_height,
//    video_variance, state, state_text, error_text, status, stopped, screenshot, ended}
// Then Stop (the DELETE of the session) when the page is watching; --end close closes the tab
// instead (closed_at_ms: when; the line is printed at once and the browser stays up --linger
// seconds), --end kill SIGKILLs the browser (lib.mjs endPage).
// join_ms: from the click on Watch to the first decoded frame (inbound-rtp framesDecoded > 0,
// polled every 50 ms). ok: frames were decoded, audio samples came, and the picture is not blank
// (the video drawn on a canvas has a luminance variance above VARIANCE_MIN).
// --expect-error: ok when the page shows the server's refusal (an alert with the message and the
// HTTP status) instead.
//   node tests/browser/watch.mjs --base http://127.0.0.1:8080 --number 13800000001 \
//     --user 13900000002 --password secret [--seconds 5] [--screenshot watch.png] [--expect-error]
//     [--end stop|close|kill] [--linger 30] [--lose-delete]
//   (--token T instead of --user/--password: the page's ?number=&token= form)
// --loopback: no WebRTC server needed; a second page answers the WHEP POST (lib.mjs).
import {
  commandLine, endPage, fail, finish, hardDeadline, launchChromium, pageTexts, report, routeToLoopbackPeer, sleep,
  waitFor,
} from './lib.mjs';

const VARIANCE_MIN = 50;

const args = commandLine(
  {
    base: { type: 'string' },
    number: { type: 'string' },
    user: { type: 'string', default: '' },
    password: { type: 'string', default: '' },
    token: { type: 'string' },
    seconds: { type: 'string', default: '5' },
    screenshot: { type: 'string' },
    'expect-error': { type: 'boolean', default: false },
    loopback: { type: 'boolean', default: false },
    end: { type: 'string', default: 'stop' },
    linger: { type: 'string', default: '30' },
    'lose-delete': { type: 'boolean', default: false },
  },
  ['base', 'number'],
);
const seconds = Number(args.seconds);
let latest = {};
hardDeadline(Number(args.timeout), () => latest);

const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 800, height: 700 } });
  if (args.loopback) await routeToLoopbackPeer(browser, page, args.base, 'whep');
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  const query = args.token ? `?number=${encodeURIComponent(args.number)}&token=${encodeURIComponent(args.token)}` : '';
  const response = await page.goto(`${args.base}/watch${query}`);
  if (!response || response.status() !== 200) {
    fail({ error: `GET /watch answered ${response?.status()}` });
  }
  await page.waitForFunction(() => window.callcast !== undefined, null, { timeout: 5000 });

  // Polls the peer connection's stats in the page every 50 ms from the start.
  await page.evaluate(() => {
    const probe = { firstFrameAt: null, framesDecoded: 0, audioSamples: 0, width: 0, height: 0 };
    window.__probe = probe;
    setInterval(async () => {
      const pc = window.callcast.pc;
      if (!pc) return;
      const stats = await pc.getStats();
      stats.forEach((s) => {
        if (s.type !== 'inbound-rtp') return;
        if (s.kind === 'video') {
          probe.framesDecoded = s.framesDecoded ?? 0;
          probe.width = s.frameWidth ?? 0;
          probe.height = s.frameHeight ?? 0;
          if (probe.framesDecoded > 0 && probe.firstFrameAt === null) probe.firstFrameAt = performance.now();
        } else if (s.kind === 'audio') {
          probe.audioSamples = s.totalSamplesReceived ?? 0;
        }
      });
    }, 50);
  });

  if (!args.token) {
    await page.fill('#number', args.number);
    await page.fill('#user', args.user);
    await page.fill('#password', args.password);
    await page.click('#watch');
  }

  const snapshot = async () => {
    const s = await page.evaluate(() => {
      const p = window.__probe;
      const c = window.callcast;
      return {
        join_ms: p.firstFrameAt !== null && c.joinStartedAt !== null ? Math.round(p.firstFrameAt - c.joinStartedAt) : null,
        frames_decoded: p.framesDecoded,
        audio_samples_received: p.audioSamples,
        frame_width: p.width,
        frame_height: p.height,
        state: c.state,
        status: c.status,
        error: c.error,
      };
    });
    latest = { ...s, ...(await pageTexts(page)) };
    return latest;
  };

  let result;
  if (args['expect-error']) {
    result = await waitFor(async () => {
      const s = await snapshot();
      return s.error ? s : null;
    }, Math.max(seconds, 10) * 1000);
    result = await snapshot();
    const alertVisible = await page.isVisible('[role=alert]');
    result.alert_visible = alertVisible;
    result.ok = Boolean(result.error) && alertVisible && result.error_text.includes(String(result.status));
  } else {
    // Until the first frame (or a refusal), then `seconds` of playing.
    await waitFor(async () => {
      const s = await snapshot();
      return s.frames_decoded > 0 || s.error;
    }, Math.max(10, Number(args.timeout) - seconds - 5) * 1000);
    if (!latest.error) await sleep(seconds * 1000);
    result = await snapshot();
    // The largest of a few pictures over a second: Chromium's fake camera (a browser
    // broadcasting) is a plain green field with a turning pie, nearly uniform while the pie is thin.
    result.video_variance = Math.round(await page.evaluate(async (enough) => {
      const video = document.getElementById('video');
      if (!video.videoWidth) return 0;
      const canvas = document.createElement('canvas');
      canvas.width = 160;
      canvas.height = 90;
      const g = canvas.getContext('2d');
      const variance = () => {
        g.drawImage(video, 0, 0, canvas.width, canvas.height);
        const d = g.getImageData(0, 0, canvas.width, canvas.height).data;
        let sum = 0;
        let sum2 = 0;
        const n = d.length / 4;
        for (let i = 0; i < d.length; i += 4) {
          const y = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
          sum += y;
          sum2 += y * y;
        }
        return sum2 / n - (sum / n) ** 2;
      };
      let largest = 0;
      for (let i = 0; i < 10 && largest <= enough; i += 1) {
        if (i > 0) await new Promise((resolve) => setTimeout(resolve, 100));
        largest = Math.max(largest, variance());
      }
      return largest;
    }, VARIANCE_MIN));
    result.ok = !result.error && result.frames_decoded > 0 && result.audio_samples_received > 0 &&
      result.video_variance > VARIANCE_MIN;
  }
  if (args.screenshot) {
    await page.screenshot({ path: args.screenshot, fullPage: true });
    result.screenshot = args.screenshot;
  }
  if (consoleErrors.length) result.page_errors = consoleErrors;
  await leave(browser, page, result);
} catch (e) {
  await browser.close().catch(() => {});
  fail({ ...latest, error: e.message });
}

// --end: Stop, the tab closed or the browser killed (lib.mjs endPage). A closed tab's line is
// printed at once and the browser stays up --linger seconds (the caller ends the script sooner).
async function leave(browser, page, result) {
  Object.assign(result, await endPage(page, args.end, args['lose-delete']));
  if (result.end_error) result.ok = false;
  if (args.end === 'close') {
    report(result);
    await sleep(Number(args.linger) * 1000);
  }
  // A killed browser's connection is gone: playwright's close only tidies up.
  await Promise.race([browser.close().catch(() => {}), sleep(3000)]);
  finish(result);
}
