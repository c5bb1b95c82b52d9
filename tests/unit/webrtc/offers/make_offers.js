// Makes the two real Chromium offers of tests/unit/webrtc/offers (see README.md there).
// usage (with playwright-core installed, see README.md): node make_offers.js <out dir> <http://127.0.0.1:PORT/>
// The page only needs to be a secure context (localhost is one) for getUserMedia.
const { chromium } = require('playwright-core');
const fs = require('fs');
const outDir = process.argv[2] || '.';
const pageUrl = process.argv[3] || 'http://127.0.0.1:8765/';

// Runs in the page: the offer once ICE gathering is complete, as a WHEP/WHIP client posts it.
async function gatheredOffer(kind) {
  const pc = new RTCPeerConnection();
  if (kind === 'whep') {
    pc.addTransceiver('video', {direction: 'recvonly'});
    pc.addTransceiver('audio', {direction: 'recvonly'});
  } else {
    const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
    for (const track of stream.getTracks()) pc.addTransceiver(track, {direction: 'sendonly'});
  }
  await pc.setLocalDescription(await pc.createOffer());
  if (pc.iceGatheringState !== 'complete') {
    await new Promise(resolve => pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') resolve();
    }));
  }
  return pc.localDescription.sdp;
}

(async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless=new', '--no-sandbox', '--use-fake-device-for-media-stream',
           '--use-fake-ui-for-media-stream'],
  });
  const page = await browser.newPage();
  await page.goto(pageUrl);
  fs.writeFileSync(outDir + '/chromium156_whep_recvonly.sdp', await page.evaluate(gatheredOffer, 'whep'));
  fs.writeFileSync(outDir + '/chromium156_whip_sendonly.sdp', await page.evaluate(gatheredOffer, 'whip'));
  console.log('Chromium ' + browser.version());
  await browser.close();
})().catch(e => { console.error(e); process.exit(1); });
