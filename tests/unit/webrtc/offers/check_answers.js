// Checks our answers with a real Chromium: the peer connection that made a WHEP or WHIP offer
// takes the answer build_webrtc_answer wrote for it (setRemoteDescription) and negotiates what
// the server chose. No media flows (the fingerprint is made up; setRemoteDescription does not
// check it against a certificate until DTLS runs).
// usage (see README.md): node check_answers.js <webrtc_answer_for_offer binary> <http://127.0.0.1:PORT/>
// Exit 0 when every case passes; each case prints one line.
const { chromium } = require('playwright-core');
const { execFileSync } = require('child_process');

const tool = process.argv[2];
const pageUrl = process.argv[3] || 'http://127.0.0.1:8765/';

// In the page: make the offer as a WHEP player or WHIP publisher does, keep the connection.
async function makeOffer(kind) {
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
  window.pcs = window.pcs || [];
  window.pcs.push(pc);
  return {index: window.pcs.length - 1, sdp: pc.localDescription.sdp};
}

// In the page: apply the answer, report what was negotiated per transceiver.
async function applyAnswer([index, sdp]) {
  const pc = window.pcs[index];
  try {
    await pc.setRemoteDescription({type: 'answer', sdp});
  } catch (e) {
    return {error: String(e)};
  }
  return {
    signalingState: pc.signalingState,
    transceivers: pc.getTransceivers().map(t => {
      const params = (t.direction === 'recvonly' ? t.receiver : t.sender).getParameters();
      return {
        mid: t.mid,
        currentDirection: t.currentDirection,
        codecs: (params.codecs || []).map(c => `${c.payloadType} ${c.mimeType} ${c.sdpFmtpLine || ''}`.trim()),
      };
    }),
  };
}

const cases = [
  // [name, kind, tool args, expected per mid: [currentDirection, first codec mimeType]]
  ['WHEP, group H.264 42e01f', 'whep', ['whep', '42e01f'], {0: ['recvonly', 'video/H264'], 1: ['recvonly', 'audio/opus']}],
  ['WHEP, group H.264 42c01f', 'whep', ['whep', '42c01f'], {0: ['recvonly', 'video/H264'], 1: ['recvonly', 'audio/opus']}],
  ['WHEP, group H.264 4d001f', 'whep', ['whep', '4d001f'], {0: ['recvonly', 'video/H264'], 1: ['recvonly', 'audio/opus']}],
  ['WHEP, group H.264 640028 (video rejected)', 'whep', ['whep', '640028'], {0: ['inactive', null], 1: ['recvonly', 'audio/opus']}],
  ['WHEP, IPv6 candidate', 'whep', ['whep', '42e01f', '::1'], {0: ['recvonly', 'video/H264'], 1: ['recvonly', 'audio/opus']}],
  ['WHIP, camera and microphone', 'whip', ['whip'], {0: ['sendonly', 'audio/opus'], 1: ['sendonly', 'video/H264']}],
];
// Controls that the check can fail: answers broken on purpose, which Chromium must refuse.
const brokenCases = [
  ['broken: a=setup:actpass in an answer', s => s.replaceAll('a=setup:passive', 'a=setup:actpass')],
  ['broken: no ICE credentials', s => s.replace(/a=ice-(ufrag|pwd):.*\r\n/g, '')],
  ['broken: an H.264 format the offer did not have', s => s.replaceAll(' 108', ' 127').replaceAll(':108', ':127')],
];

(async () => {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless=new', '--no-sandbox', '--use-fake-device-for-media-stream',
           '--use-fake-ui-for-media-stream'],
  });
  const page = await browser.newPage();
  await page.goto(pageUrl);
  console.log('Chromium ' + browser.version());
  let failures = 0;
  for (const [name, kind, args, expected] of cases) {
    const offer = await page.evaluate(makeOffer, kind);
    const answer = execFileSync(tool, args, {input: offer.sdp}).toString();
    const result = await page.evaluate(applyAnswer, [offer.index, answer]);
    const problems = [];
    if (result.error) {
      problems.push(result.error);
    } else {
      if (result.signalingState !== 'stable') problems.push('signalingState ' + result.signalingState);
      for (const t of result.transceivers) {
        const [direction, mime] = expected[t.mid] || [];
        // A rejected m= line stops its transceiver, which then leaves getTransceivers().
        const gotDirection = t.currentDirection;
        if (direction === 'inactive') {
          if (gotDirection !== 'stopped' && gotDirection !== 'inactive' && gotDirection !== null)
            problems.push(`mid ${t.mid}: ${gotDirection}, expected rejected`);
        } else if (gotDirection !== direction) {
          problems.push(`mid ${t.mid}: currentDirection ${gotDirection}, expected ${direction}`);
        }
        // A sender's parameters hold the negotiated codecs, the chosen one first; a receiver's
        // hold every codec its side can take, so only presence can be checked there.
        const hasCodec = direction === 'sendonly' ? (t.codecs[0] || '').includes(mime)
                                                  : t.codecs.some(c => c.includes(mime));
        if (mime && !hasCodec) problems.push(`mid ${t.mid}: codecs ${JSON.stringify(t.codecs)}`);
      }
    }
    failures += problems.length ? 1 : 0;
    console.log(`${problems.length ? 'FAIL' : 'ok  '} ${name}: ` +
                (problems.length ? problems.join('; ') :
                 result.transceivers.map(t => `mid ${t.mid} ${t.currentDirection} [${t.codecs.slice(0, 2).join(', ')}${t.codecs.length > 2 ? ', ...' : ''}]`).join(' | ')));
  }
  for (const [name, mutate] of brokenCases) {
    const offer = await page.evaluate(makeOffer, 'whep');
    const answer = mutate(execFileSync(tool, ['whep'], {input: offer.sdp}).toString());
    const result = await page.evaluate(applyAnswer, [offer.index, answer]);
    const refused = Boolean(result.error);
    failures += refused ? 0 : 1;
    console.log(`${refused ? 'ok  ' : 'FAIL'} ${name}: ` + (refused ? result.error : 'accepted'));
  }
  await browser.close();
  process.exit(failures ? 1 : 0);
})().catch(e => { console.error(e); process.exit(1); });
