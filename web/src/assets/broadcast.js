// /broadcast: the browser as a master terminal, through WHIP (RFC 9725). One POST /whip with
// the SDP offer (send-only camera and microphone) and the broadcaster's credentials (Basic: the
// group is keyed by the logged-in number), or POST /whip/{number}?token= with a publish token
// from the control API in the page's URL; 201 brings the answer and, in Location, the session
// to DELETE when done.
import {
  StatusView, basicAuthorization, deleteSession, exchangeSdp, pageQuery, watchTransports,
} from './common.js';

const $ = (id) => document.getElementById(id);
const form = $('broadcast-form');
const userInput = $('user');
const preview = $('preview');
const goLiveButton = $('go-live');
const stopButton = $('stop');
const status = new StatusView($('state'), $('error'));
const query = pageQuery();

const session = { pc: null, state: 'idle', error: null, status: null, joinStartedAt: null, location: null };
window.callcast = session;
let deleteHeaders = {};
let stream = null;

function setState(name, text) {
  session.state = name;
  status.state(name, text);
}

function fail(message, httpStatus) {
  session.error = message;
  session.status = httpStatus ?? null;
  status.error(httpStatus ? `${message} (HTTP ${httpStatus})` : message);
}

function release() {
  if (session.pc) session.pc.close();
  releaseCamera();
}

function releaseCamera() {
  if (stream) stream.getTracks().forEach((t) => t.stop());
  stream = null;
  preview.srcObject = null;
  goLiveButton.disabled = false;
  stopButton.disabled = true;
}

// Stop ends the broadcast as the master's BYE does: the DELETE, then the peer connection closed
// once it is answered, so that the server hears the DELETE first (its close_notify finds the
// session gone). Leaving the page cannot wait: there both go at once, and the server ends the
// broadcast on whichever comes first (Chromium sends its DTLS close_notify on close() only, none
// when a tab goes with the connection open; a killed browser's media stops, and the group ends
// past the publisher's grace).
function stop(leaving = false) {
  const { pc } = session;
  const deleted = deleteSession(session.location, deleteHeaders);
  session.location = null;
  session.pc = null;
  setState('idle', 'Not live.');
  releaseCamera();
  if (!pc) return;
  if (leaving) {
    pc.close();
  } else {
    deleted.then(() => pc.close());
  }
}

// The group's viewers include RTSP terminals and SIP phones, which take H.264 only: offer it
// first, constrained baseline (42e0..) before baseline (4200..) before the other profiles,
// packetization-mode=1 first. Browsers without setCodecPreferences offer their own order.
function preferH264(transceiver) {
  const capabilities = RTCRtpReceiver.getCapabilities?.('video');
  if (!capabilities || typeof transceiver.setCodecPreferences !== 'function') return;
  const rank = (codec) => {
    if (codec.mimeType.toLowerCase() !== 'video/h264') return 10;
    const fmtp = codec.sdpFmtpLine || '';
    const profile = /profile-level-id=([0-9a-f]{6})/i.exec(fmtp)?.[1]?.toLowerCase() || '';
    const mode = /packetization-mode=1/.test(fmtp) ? 0 : 1;
    if (profile.startsWith('42e0')) return 0 + mode;
    if (profile.startsWith('4200')) return 2 + mode;
    return 4 + mode;
  };
  const codecs = [...capabilities.codecs].sort((a, b) => rank(a) - rank(b));
  try {
    transceiver.setCodecPreferences(codecs);
  } catch {
    // An implementation that refuses the list keeps its default order.
  }
}

async function goLive() {
  const number = query.token ? query.number : userInput.value.trim();
  if (!number) return;
  status.error('');
  session.error = null;
  session.status = null;
  goLiveButton.disabled = true;
  stopButton.disabled = false;
  setState('connecting', 'Starting the camera...');
  session.joinStartedAt = performance.now();

  let url;
  let headers = {};
  if (query.token) {
    url = new URL(`/whip/${encodeURIComponent(number)}`, location.href);
    url.searchParams.set('token', query.token);
  } else {
    url = new URL('/whip', location.href);
    headers = { Authorization: basicAuthorization(number, $('password').value) };
  }
  deleteHeaders = headers;

  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360 }, audio: true });
  } catch (e) {
    fail(`the camera or microphone is not available: ${e.message}`);
    release();
    setState('idle', 'Not live.');
    return;
  }
  preview.srcObject = stream;

  const pc = new RTCPeerConnection();
  session.pc = pc;
  // Video first, then audio: the same m= line order as the watch page's offer.
  for (const track of [...stream.getVideoTracks(), ...stream.getAudioTracks()]) {
    const transceiver = pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    if (track.kind === 'video') preferH264(transceiver);
  }
  const lost = () => {
    if (session.pc !== pc || session.state === 'ended' || session.state === 'idle') return;
    setState('ended', 'The broadcast ended: the server closed the connection or it was lost.');
    deleteSession(session.location, deleteHeaders);
    session.location = null;
    release();
  };
  pc.onconnectionstatechange = () => {
    if (session.pc !== pc) return;
    if (pc.connectionState === 'connected') setState('live', `Live: viewers can call ${number}.`);
    if (pc.connectionState === 'disconnected') setState('interrupted', 'Connection interrupted, waiting for it to come back...');
    if (pc.connectionState === 'failed' || pc.connectionState === 'closed') lost();
  };

  setState('connecting', 'Connecting...');
  try {
    await pc.setLocalDescription(await pc.createOffer());
    // Posted at once, without waiting for ICE gathering: callcast is an ICE-lite server with a
    // public host candidate, so it needs none of the browser's (the browser's checks reach it).
    const { answer, location: sessionUrl } = await exchangeSdp(url.href, pc.localDescription.sdp, headers);
    if (session.pc !== pc) {
      // Stopped (or left) while the offer was out: the session it made ends at once.
      deleteSession(sessionUrl, headers);
      return;
    }
    session.location = sessionUrl;
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    watchTransports(pc, lost);
  } catch (e) {
    fail(e.message, e.status);
    session.location = null;
    release();
    setState('idle', 'Not live.');
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  goLive();
});
stopButton.addEventListener('click', () => stop());
// The tab closed or another page loaded.
window.addEventListener('pagehide', () => stop(true));

if (query.token) {
  // A publish token stands for the login; the number comes with it.
  $('login').hidden = true;
  userInput.required = false;
}
userInput.value = query.number;
