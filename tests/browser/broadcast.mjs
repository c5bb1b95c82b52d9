#!/usr/bin/env node
// Goes live through the /broadcast page (WHIP) in headless Chromium (fake camera and
// microphone), stays live --seconds, prints one JSON line and stops (Stop: DELETE of the
// session):
//   {ok, live, state, state_text, packets_sent: {video, audio}, codec, error_text, status,
//    stopped, screenshot, ended, samples}
// --end close closes the tab instead of Stop (closed_at_ms: when; the line is printed at once and
// the browser stays up --linger seconds), --end kill SIGKILLs the browser (lib.mjs endPage).
// ok: the page said live and both tracks sent packets. --expect-error: ok when the page shows
// the server's refusal (an alert with the message and the HTTP status) instead.
//   node tests/browser/broadcast.mjs --base http://127.0.0.1:8080 --user 13800000001 \
//     --password secret --seconds 5 [--screenshot live.png] [--expect-error]
//     [--end stop|close|kill] [--linger 30] [--lose-delete]
//   (--number N --token T instead of --user/--password: the page's ?number=&token= form)
// --loopback: no WebRTC server needed; a second page answers the WHIP POST (lib.mjs).
// --sample-ms N: while live, every N ms, what Chromium's sender does with the video, for the
// tests of the server's bitrate requests (REMB): samples [{at (Date.now() ms), ssrc, target_bps
// (outbound-rtp targetBitrate: the encoder's target), bytes_sent, frames_encoded,
// frame_width, limitation (qualityLimitationReason), available_bps (the selected candidate
// pair's availableOutgoingBitrate: the send-side estimate, REMB included)}]. --stop-file F:
// live until F exists (at most --seconds).
import { existsSync } from 'node:fs';
import {
  commandLine, endPage, fail, finish, hardDeadline, launchChromium, pageTexts, report, routeToLoopbackPeer, sleep,
  waitFor,
} from './lib.mjs';

const args = commandLine(
  {
    base: { type: 'string' },
    user: { type: 'string', default: '' },
    password: { type: 'string', default: '' },
    number: { type: 'string' },
    token: { type: 'string' },
    seconds: { type: 'string', default: '5' },
    screenshot: { type: 'string' },
    'expect-error': { type: 'boolean', default: false },
    loopback: { type: 'boolean', default: false },
    end: { type: 'string', default: 'stop' },
    linger: { type: 'string', default: '30' },
    'lose-delete': { type: 'boolean', default: false },
    'sample-ms': { type: 'string', default: '0' },
    'stop-file': { type: 'string' },
  },
  ['base'],
);
const seconds = Number(args.seconds);
const sampleMs = Number(args['sample-ms']);
let latest = {};
const samples = [];
hardDeadline(Number(args.timeout), () => ({ ...latest, samples }));

// In the page: one sample of the video sender (null before it has stats).
async function videoSenderSample() {
  const pc = window.callcast.pc;
  if (!pc || pc.connectionState === 'closed') return null;
  const stats = await pc.getStats();
  let sample = null;
  let available = null;
  stats.forEach((r) => {
    if (r.type === 'outbound-rtp' && r.kind === 'video') {
      sample = {
        at: Date.now(),
        ssrc: r.ssrc,
        target_bps: r.targetBitrate ?? null,
        bytes_sent: r.bytesSent ?? 0,
        frames_encoded: r.framesEncoded ?? 0,
        frame_width: r.frameWidth ?? 0,
        limitation: r.qualityLimitationReason ?? null,
      };
    }
    if (r.type === 'candidate-pair' && r.nominated && r.availableOutgoingBitrate !== undefined) {
      available = r.availableOutgoingBitrate;
    }
  });
  if (sample) sample.available_bps = available;
  return sample;
}

const browser = await launchChromium(args.base);
try {
  const page = await browser.newPage({ viewport: { width: 800, height: 700 } });
  if (args.loopback) await routeToLoopbackPeer(browser, page, args.base, 'whip');
  const query = args.token ? `?number=${encodeURIComponent(args.number ?? '')}&token=${encodeURIComponent(args.token)}` : '';
  const response = await page.goto(`${args.base}/broadcast${query}`);
  if (!response || response.status() !== 200) fail({ error: `GET /broadcast answered ${response?.status()}` });
  await page.waitForFunction(() => window.callcast !== undefined, null, { timeout: 5000 });
  if (!args.token) {
    await page.fill('#user', args.user);
    await page.fill('#password', args.password);
  }
  await page.click('#go-live');

  const snapshot = async () => {
    const s = await page.evaluate(async () => {
      const c = window.callcast;
      const sent = { video: 0, audio: 0 };
      let codec = null;
      if (c.pc && c.pc.connectionState !== 'closed') {
        const stats = await c.pc.getStats();
        stats.forEach((r) => {
          if (r.type === 'outbound-rtp') {
            sent[r.kind] = r.packetsSent ?? 0;
            const c = r.kind === 'video' && r.codecId ? stats.get(r.codecId) : null;
            if (c) codec = `${c.mimeType} ${c.sdpFmtpLine ?? ''}`.trim();
          }
        });
      }
      return { state: c.state, status: c.status, error: c.error, packets_sent: sent, codec };
    });
    latest = { ...s, ...(await pageTexts(page)) };
    return latest;
  };

  let result;
  if (args['expect-error']) {
    await waitFor(async () => (await snapshot()).error, Math.max(seconds, 10) * 1000);
    result = await snapshot();
    result.alert_visible = await page.isVisible('[role=alert]');
    result.ok = Boolean(result.error) && result.alert_visible && result.error_text.includes(String(result.status));
  } else {
    await waitFor(async () => {
      const s = await snapshot();
      return s.state === 'live' || s.error;
    }, 15000);
    const live = latest.state === 'live';
    const end = Date.now() + seconds * 1000;
    const stopped = () => args['stop-file'] !== undefined && existsSync(args['stop-file']);
    const everyMs = sampleMs > 0 ? sampleMs : 200;
    while (live && Date.now() < end && !stopped()) {
      if (sampleMs > 0) {
        const sample = await page.evaluate(videoSenderSample);
        if (sample) samples.push(sample);
      }
      await sleep(Math.min(everyMs, Math.max(0, end - Date.now())));
    }
    result = await snapshot();
    result.live = live && result.state === 'live';
    result.ok = result.live && result.packets_sent.video > 0 && result.packets_sent.audio > 0;
    if (sampleMs > 0) result.samples = samples;
  }
  if (args.screenshot) {
    await page.screenshot({ path: args.screenshot, fullPage: true });
    result.screenshot = args.screenshot;
  }
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
