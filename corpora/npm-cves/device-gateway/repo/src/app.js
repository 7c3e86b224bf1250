'use strict';

const http = require('http');

const { verifyAcmeDeviceToken, verifyDeviceToken } = require('./auth');

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function bearer(req) {
  const [scheme, token] = String(req.headers.authorization || '').split(' ');
  return /^Bearer$/i.test(scheme) && token ? token : null;
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => {
      try {
        resolve(data ? JSON.parse(data) : {});
      } catch (err) {
        reject(Object.assign(err, { status: 400 }));
      }
    });
    req.on('error', reject);
  });
}

function validReadings(readings) {
  return Array.isArray(readings) && readings.length > 0 && readings.length <= 500
    && readings.every((r) => typeof r.metric === 'string' && Number.isFinite(r.value));
}

/**
 * POST /v1/telemetry                  our devices (HS256 device tokens)
 * POST /v1/partners/acme/telemetry    Acme fleet devices (unsigned tokens, mTLS at the edge)
 */
function createApp({ secret, audience = 'device-gateway', sink }) {
  async function ingest(req, res, verify, source) {
    let claims;
    try {
      claims = verify(bearer(req));
    } catch (err) {
      return send(res, 401, { error: 'invalid_token' });
    }
    const body = await readJson(req);
    if (!validReadings(body.readings)) return send(res, 400, { error: 'invalid_readings' });
    sink.push({ source, device: claims.sub, fleet: claims.fleet || null, readings: body.readings });
    return send(res, 202, { accepted: body.readings.length });
  }

  return http.createServer((req, res) => {
    const route = `${req.method} ${new URL(req.url, 'http://gw').pathname}`;
    let work;
    if (route === 'POST /v1/telemetry') {
      work = ingest(req, res, (t) => verifyDeviceToken(t, { secret, audience }), 'own');
    } else if (route === 'POST /v1/partners/acme/telemetry') {
      work = ingest(req, res, verifyAcmeDeviceToken, 'acme');
    } else if (route === 'GET /healthz') {
      return send(res, 200, { ok: true });
    } else {
      return send(res, 404, { error: 'not_found' });
    }
    return work.catch((err) => send(res, err.status || 500, { error: err.status ? 'bad_request' : 'server_error' }));
  });
}

module.exports = { createApp };
