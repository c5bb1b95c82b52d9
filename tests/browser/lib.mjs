// What the browser test scripts share: Chromium through playwright-core (installed in web/ by
// `make web`: one npm install for the pages and their tests), the command line, the one JSON
// line each script prints, and a hard deadline so that nothing hangs a test run.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';

const CHROMIUM = '/usr/bin/chromium';

function loadPlaywright() {
  const require = createRequire(new URL('../../web/package.json', import.meta.url));
  try {
    return require('playwright-core');
  } catch (e) {
    fail({ error: `playwright-core not found in web/node_modules (run \`make web\`): ${e.message}` });
  }
}

// `base`: the server's URL. Camera and microphone are for secure contexts only (HTTPS, or
// http://localhost): a test server on another host of the lab is plain HTTP at its address, so
// its origin is treated as secure, as a deployment's HTTPS would be.
export async function launchChromium(base) {
  if (!existsSync(CHROMIUM)) fail({ error: `${CHROMIUM} not found (apt-get install chromium)` });
  const { chromium } = loadPlaywright();
  const origin = base ? new URL(base).origin : null;
  const secure = origin?.startsWith('http:') ? [`--unsafely-treat-insecure-origin-as-secure=${origin}`] : [];
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      ...secure,
      '--no-sandbox',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
      // The machine's network is closed: Chromium's own background connections would only fail.
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

// options: node:util parseArgs options; every script also takes --timeout (seconds).
export function commandLine(options, required) {
  const { values } = parseArgs({ options: { ...options, timeout: { type: 'string', default: '40' } } });
  const missing = required.filter((name) => values[name] === undefined);
  if (missing.length) fail({ error: `missing ${missing.map((m) => `--${m}`).join(', ')}` });
  return values;
}

let printed = false;

// Prints the one JSON line and exits 0 when result.ok, else 1.
export function finish(result) {
  if (printed) return;
  printed = true;
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(result.ok ? 0 : 1);
}

export function fail(fields) {
  finish({ ok: false, ...fields });
}

// After `seconds`, prints what `partial()` gives with ok=false and exits, whatever is pending.
export function hardDeadline(seconds, partial = () => ({})) {
  const timer = setTimeout(() => {
    let fields = {};
    try {
      fields = partial();
    } catch {
      // keep the timeout itself
    }
    fail({ ...fields, error: `timed out after ${seconds} s` });
  }, seconds * 1000);
  return timer;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Polls `probe` every `everyMs` until it returns a truthy value or `ms` passed; resolves to it
// (or to the last value).
export async function waitFor(probe, ms, everyMs = 200) {
  const end = Date.now() + ms;
  let value;
  while (Date.now() < end) {
    value = await probe();
    if (value) return value;
    await sleep(everyMs);
  }
  return value;
}

// The page's state text and alert text, as a person sees them.
export async function pageTexts(page) {
  return page.evaluate(() => ({
    state_text: document.getElementById('state')?.textContent?.trim() ?? '',
    error_text: document.getElementById('error')?.textContent?.trim() ?? '',
  }));
}

// --loopback: the page's WHEP or WHIP POST is answered inside the browser by a second page's
// RTCPeerConnection (sending Chromium's fake camera and microphone for WHEP, receiving for
// WHIP), and its DELETE with 200: the page and the script tested end to end without a server
// that speaks WebRTC. `role`: "whep" (the peer sends) or "whip" (the peer receives).
export async function routeToLoopbackPeer(browser, page, base, role) {
  const peer = await browser.newPage();
  await peer.goto(`${base}/watch`);
  await page.route(`**/${role}**`, async (route) => {
    const request = route.request();
    if (request.method() === 'DELETE') {
      await peer.evaluate(() => window.__loopback?.close());
      return route.fulfill({ status: 200, body: '' });
    }
    const answer = await peer.evaluate(async ({ offer, send }) => {
      const pc = new RTCPeerConnection();
      window.__loopback = pc;
      await pc.setRemoteDescription({ type: 'offer', sdp: offer });
      if (send) {
        const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360 }, audio: true });
        for (const transceiver of pc.getTransceivers()) {
          const track = stream.getTracks().find((t) => t.kind === transceiver.receiver.track.kind);
          await transceiver.sender.replaceTrack(track);
          transceiver.direction = 'sendonly';
        }
      }
      await pc.setLocalDescription(await pc.createAnswer());
      await new Promise((resolve) => {
        if (pc.iceGatheringState === 'complete') return resolve();
        pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
        setTimeout(resolve, 1000);
      });
      return pc.localDescription.sdp;
    }, { offer: request.postData(), send: role === 'whep' });
    return route.fulfill({
      status: 201,
      headers: { 'Content-Type': 'application/sdp', Location: `/${role}/sessions/loopback` },
      body: answer,
    });
  });
  return peer;
}
