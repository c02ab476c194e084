// Registers this console with Twilio, so that a caller bridged to <Client>operator-…</Client> rings here. A call the
// operator took by hand is answered at once (they asked for it); an offer pushed by routing rings until the operator
// answers or declines it. Without API key settings the server answers 503 and the softphone shows as off.
import { api, ApiError } from '/shared/api.js';

const sdk = '/vendor/twilio-voice-sdk/twilio.min.js';
let device = null;
let ringing = null;   // an offered call not yet answered
let stateChanged = () => {};

/// <param name="answersAtOnce">Asked when a call rings: true when the operator took it by hand.</param>
export async function connectSoftphone(onState, answersAtOnce) {
  stateChanged = onState;
  try {
    const token = await api('GET', '/api/console/voice-token');
    await loadScript(sdk);
    device = new window.Twilio.Device(token.token, { closeProtection: true });
    device.on('registered', () => onState('ready'));
    device.on('error', () => onState('error'));
    device.on('tokenWillExpire', async () => device.updateToken((await api('GET', '/api/console/voice-token')).token));
    device.on('incoming', incoming => {
      incoming.on('disconnect', () => onState('ready'));
      if (answersAtOnce()) {
        incoming.accept();
        onState('talking');
        return;
      }
      ringing = incoming;
      for (const ended of ['cancel', 'reject', 'disconnect']) incoming.on(ended, () => { if (ringing === incoming) ringing = null; });
    });
    await device.register();
  } catch (error) {
    onState(error instanceof ApiError && error.status === 503 ? 'off' : 'error');
  }
}

/// False when nothing rings in this browser (no softphone, or the offer's call has not reached it).
export function answerRinging() {
  if (!ringing) return false;
  ringing.accept();
  ringing = null;
  stateChanged('talking');
  return true;
}

export function rejectRinging() {
  ringing?.reject();
  ringing = null;
}

export function disconnectSoftphone() {
  device?.destroy();
  device = null;
}

function loadScript(src) {
  if (window.Twilio?.Device) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const script = Object.assign(document.createElement('script'), { src, onload: resolve, onerror: reject });
    document.head.append(script);
  });
}
