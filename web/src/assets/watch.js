// /watch: plays a number's broadcast through WHEP. One POST /whep/{number} with the SDP offer
// (receive-only video and audio) and the viewer's credentials: Basic with the users file's
// number and password, or a play token from the control API in the page's URL (?token=);
// 201 brings the answer and, in Location, the session to DELETE when done.
import {
  StatusView, basicAuthorization, deleteSession, exchangeSdp, pageQuery, watchTransports,
} from './common.js';

const $ = (id) => document.getElementById(id);
const form = $('watch-form');
const numberInput = $('number');
const video = $('video');
const audio = $('audio');
const watchButton = $('watch');
const stopButton = $('stop');
const status = new StatusView($('state'), $('error'));
const query = pageQuery();

// For people and for tests (tests/browser/watch.mjs reads pc.getStats() through it).
const session = { pc: null, state: 'idle', error: null, status: null, joinStartedAt: null, location: null };
window.callcast = session;
let deleteHeaders = {};

function setState(name, text) {
  session.state = name;
  status.state(name, text);
}

function fail(message, httpStatus) {
  session.error = message;
  session.status = httpStatus ?? null;
  status.error(httpStatus ? `${message} (HTTP ${httpStatus})` : message);
}

function ended() {
  if (session.state === 'ended' || session.state === 'idle') return;
  setState('ended', 'The broadcast ended.');
  deleteSession(session.location, deleteHeaders);
  session.location = null;
  finish();
}

function finish() {
  if (session.pc) session.pc.close();
  watchButton.disabled = false;
  stopButton.disabled = true;
}

// Stop ends the call as a BYE does: the DELETE, then the peer connection closed once it is
// answered, so that the server hears the DELETE first (its close_notify finds the session gone).
// Leaving the page cannot wait: there both go at once, and the server ends the session on
// whichever comes first (Chromium sends its DTLS close_notify on close() only, none when a tab
// goes with the connection open; a killed browser is ended by ICE consent, 30 s).
function stop(leaving = false) {
  const { pc } = session;
  const deleted = deleteSession(session.location, deleteHeaders);
  session.location = null;
  session.pc = null;
  setState('idle', 'Not watching.');
  watchButton.disabled = false;
  stopButton.disabled = true;
  if (!pc) return;
  if (leaving) {
    pc.close();
  } else {
    deleted.then(() => pc.close());
  }
}

async function watch() {
  const number = numberInput.value.trim();
  if (!number) return;
  status.error('');
  session.error = null;
  session.status = null;
  watchButton.disabled = true;
  stopButton.disabled = false;
  setState('connecting', `Connecting to ${number}...`);
  session.joinStartedAt = performance.now();

  let url = new URL(`/whep/${encodeURIComponent(number)}`, location.href);
  let headers = {};
  if (query.token) {
    url.searchParams.set('token', query.token);
  } else {
    headers = { Authorization: basicAuthorization($('user').value.trim(), $('password').value) };
  }
  deleteHeaders = headers;

  const pc = new RTCPeerConnection();
  session.pc = pc;
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  pc.ontrack = ({ track }) => {
    // Video and audio each on their own element: the video stays muted (autoplay), the
    // audio element plays the sound.
    const element = track.kind === 'video' ? video : audio;
    element.srcObject = new MediaStream([track]);
    element.play().catch(() => {});
    track.addEventListener('ended', ended);
  };
  pc.onconnectionstatechange = () => {
    if (session.pc !== pc) return;
    if (pc.connectionState === 'connected') setState('playing', `Playing ${number}.`);
    if (pc.connectionState === 'disconnected') setState('interrupted', 'Connection interrupted, waiting for it to come back...');
    if (pc.connectionState === 'failed' || pc.connectionState === 'closed') ended();
  };

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
    watchTransports(pc, ended);
  } catch (e) {
    fail(e.message, e.status);
    session.location = null;
    finish();
    setState('idle', 'Not watching.');
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  watch();
});
stopButton.addEventListener('click', () => stop());
// The tab closed or another page loaded.
window.addEventListener('pagehide', () => stop(true));

numberInput.value = query.number;
if (query.token) {
  // A play token stands for the login.
  $('login').hidden = true;
  if (query.number) watch();
}
