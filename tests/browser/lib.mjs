// What the browser test scripts share: Chromium through playwright-core (installed in web/ by
// `make web`: one npm install for the pages and their tests), the command line, the one JSON
// line each script prints, and a hard deadline so that nothing hangs a test run.
import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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
  if (values.end !== undefined && !END_MODES.includes(values.end)) {
    fail({ error: `--end ${values.end}: one of ${END_MODES.join(', ')}` });
  }
  return values;
}

let printed = null;

// Prints the one JSON line, without exiting (the browser may have to stay up after it).
export function report(result) {
  if (printed) return;
  printed = result;
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

// Prints the one JSON line (unless report() did) and exits 0 when it said ok, else 1.
export function finish(result) {
  report(result);
  process.exit(printed.ok ? 0 : 1);
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

// The processes `pid` started (from /proc).
function childrenOf(pid) {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      // comm may hold spaces and parentheses: the fields after its last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

// --end: how a script leaves the page once it has what it measured.
//   stop:  clicks Stop (the page's DELETE of its session), as a person leaving does;
//   close: closes the tab (the page's pagehide handler runs; the browser itself stays up, as a
//          person's would: the caller ends the script when it has seen what it waits for);
//   kill:  SIGKILLs the browser's main process (no code of the page runs; its child processes
//          die with it), as a crash or a power cut would.
// loseDelete: the page forgets its session's URL first, so that it sends no DELETE (as when the
// request is lost): what ends the session then is the peer connection's own end.
// Resolves to the fields it adds to the script's JSON line; closed_at_ms (Unix ms) is the
// moment the tab was closed or the browser killed, for the caller to time the server's reaction.
export const END_MODES = ['stop', 'close', 'kill'];
export async function endPage(page, how, loseDelete = false) {
  if (loseDelete) await page.evaluate(() => { window.callcast.location = null; });
  if (how === 'stop') {
    if (!(await page.isEnabled('#stop'))) return { ended: 'stop', stopped: false };
    await page.click('#stop');
    const stopped = await waitFor(() => page.evaluate(() => window.callcast.state === 'idle'), 3000);
    await sleep(200); // the DELETE is keepalive: let it leave before the browser goes
    return { ended: 'stop', stopped: Boolean(stopped) };
  }
  if (how === 'close') {
    const closedAt = Date.now();
    await page.close();
    return { ended: 'close', closed_at_ms: closedAt, close_ms: Date.now() - closedAt };
  }
  // The browser's main process is this node process's child (Debian's /usr/bin/chromium wrapper
  // execs it when given a profile, as playwright does).
  const main = childrenOf(process.pid).find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'chromium';
    } catch {
      return false;
    }
  });
  if (!main) return { ended: 'kill', killed: false, end_error: 'no chromium process found to kill' };
  const closedAt = Date.now();
  process.kill(main, 'SIGKILL');
  return { ended: 'kill', killed: true, closed_at_ms: closedAt };
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
