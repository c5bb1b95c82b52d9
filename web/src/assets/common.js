// What the watch and broadcast pages share: credentials, the WHIP/WHEP exchange (one POST of
// the SDP offer, the answer in a 201's body, the session's URL in its Location) and the status
// line. Plain ES module; no dependencies.

// RFC 7617 Basic credentials; the number and password may hold any UTF-8 text.
export function basicAuthorization(user, password) {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return `Basic ${btoa(binary)}`;
}

// The server's human message of a refusal: text/plain as it is; a JSON error's "message"
// (the HTTP layer's own 404/405 are JSON); else the body's text.
export async function refusalText(response) {
  const text = (await response.text()).trim();
  const type = response.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try {
      const body = JSON.parse(text);
      if (body && typeof body.message === 'string') return body.message;
    } catch {
      // not JSON after all: show it as it came
    }
  }
  return text || response.statusText || 'no message';
}

// POSTs the offer; resolves to {answer, location} on 201, else throws an Error whose
// `status` is the HTTP status and whose message is the server's.
export async function exchangeSdp(url, offerSdp, headers) {
  let response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/sdp', ...headers },
      body: offerSdp,
    });
  } catch (e) {
    const error = new Error(`the server did not answer (${e.message})`);
    error.status = 0;
    throw error;
  }
  if (response.status !== 201) {
    const error = new Error(await refusalText(response));
    error.status = response.status;
    throw error;
  }
  const answer = await response.text();
  const location = response.headers.get('Location');
  return { answer, location: location ? new URL(location, url).href : null };
}

// Ends a session: its DELETE, keepalive so that it still goes out while the page unloads (a
// same-origin keepalive fetch may carry Authorization). Resolves once answered or failed, or
// after waitMs at most.
export function deleteSession(location, headers, waitMs = 2000) {
  if (!location) return Promise.resolve();
  const answered = fetch(location, { method: 'DELETE', keepalive: true, headers }).catch(() => {});
  return Promise.race([answered, new Promise((resolve) => setTimeout(resolve, waitMs))]);
}

// Calls `onEnd` once the session's DTLS transport closes or fails: a server that ends the
// session (the broadcast ended, the session was deleted) sends a DTLS close_notify, which the
// transport reports at once, where the connection state only turns "closed" after ICE consent
// expires (about 15 s in Chromium).
export function watchTransports(pc, onEnd) {
  const transports = new Set([...pc.getReceivers(), ...pc.getSenders()].map((x) => x.transport).filter(Boolean));
  for (const transport of transports) {
    transport.addEventListener('statechange', () => {
      if (transport.state === 'closed' || transport.state === 'failed') onEnd();
    });
  }
}

// The page's query: ?number=...&token=... (a play or publish token from the control API).
export function pageQuery() {
  const query = new URLSearchParams(location.search);
  return { number: query.get('number') || '', token: query.get('token') || '' };
}

export class StatusView {
  constructor(stateElement, alertElement) {
    this.stateElement = stateElement;
    this.alertElement = alertElement;
  }

  state(name, text) {
    this.stateElement.dataset.state = name;
    this.stateElement.textContent = text;
  }

  // An empty message clears the alert (role=alert announces every new text).
  error(message) {
    this.alertElement.textContent = message;
  }
}
