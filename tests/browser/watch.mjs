#!/usr/bin/env node
// Watches a number through the /watch page (WHEP) in headless Chromium and prints one JSON line:
//   {ok, join_ms, frames_decoded, audio_samples_received, frame_width, frame_height,
//    video_variance, state, state_text, error_text, status, stopped, screenshot}
// Then Stop (the DELETE of the session) when the page is watching.
// join_ms: from the click on Watch to the first decoded frame (inbound-rtp framesDecoded > 0,
// polled every 50 ms). ok: frames were decoded, audio samples came, and the picture is not blank
// (the video drawn on a canvas has a luminance variance above VARIANCE_MIN).
// --expect-error: ok when the page shows the server's refusal (an alert with the message and the
// HTTP status) instead.
//   node tests/browser/watch.mjs --base http://127.0.0.1:8080 --number 13800000001 \
//     --user 13900000002 --password secret [--seconds 5] [--screenshot watch.png] [--expect-error]
//   (--token T instead of --user/--password: the page's ?number=&token= form)
// --loopback: no WebRTC server needed; a second page answers the WHEP POST (lib.mjs).
import {
  commandLine, fail, finish, hardDeadline, launchChromium, pageTexts, routeToLoopbackPeer, sleep, waitFor,
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
    result.video_variance = Math.round(await page.evaluate(() => {
      const video = document.getElementById('video');
      if (!video.videoWidth) return 0;
      const canvas = document.createElement('canvas');
      canvas.width = 160;
      canvas.height = 90;
      const g = canvas.getContext('2d');
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
    }));
    result.ok = !result.error && result.frames_decoded > 0 && result.audio_samples_received > 0 &&
      result.video_variance > VARIANCE_MIN;
  }
  if (args.screenshot) {
    await page.screenshot({ path: args.screenshot, fullPage: true });
    result.screenshot = args.screenshot;
  }
  if (consoleErrors.length) result.page_errors = consoleErrors;
  // Stop: the page's DELETE of its session, as a person leaving does (closing the browser alone
  // would leave the server to notice the silence).
  if (await page.isEnabled('#stop')) {
    await page.click('#stop');
    result.stopped = await waitFor(() => page.evaluate(() => window.callcast.state === 'idle'), 3000);
  }
  await sleep(200);  // the DELETE is keepalive: let it leave before the browser goes
  await browser.close();
  finish(result);
} catch (e) {
  await browser.close().catch(() => {});
  fail({ ...latest, error: e.message });
}
