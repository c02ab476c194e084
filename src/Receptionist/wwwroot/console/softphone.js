// Registers this console with Twilio, so that a claimed caller, bridged to <Client>operator-…</Client>, rings here and
// is answered at once: the operator asked for the call by taking it. Without API key settings the server answers
// 503 and the console works as before (the operator sees the softphone is off).
import { api, ApiError } from '/shared/api.js';

const sdk = '/vendor/twilio-voice-sdk/twilio.min.js';
let device = null;

export async function connectSoftphone(onState) {
  try {
    const token = await api('GET', '/api/console/voice-token');
    await loadScript(sdk);
    device = new window.Twilio.Device(token.token, { closeProtection: true });
    device.on('registered', () => onState('ready'));
    device.on('error', () => onState('error'));
    device.on('tokenWillExpire', async () => device.updateToken((await api('GET', '/api/console/voice-token')).token));
    device.on('incoming', incoming => {
      incoming.on('disconnect', () => onState('ready'));
      incoming.accept();
      onState('talking');
    });
    await device.register();
  } catch (error) {
    onState(error instanceof ApiError && error.status === 503 ? 'off' : 'error');
  }
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
