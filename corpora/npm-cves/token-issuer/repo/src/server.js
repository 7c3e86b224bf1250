'use strict';

const http = require('http');
const { authenticate, grantScopes } = require('./clients');

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      data += chunk;
      if (data.length > 64 * 1024) reject(new Error('body too large'));
    });
    req.on('end', () => {
      const type = req.headers['content-type'] || '';
      try {
        if (type.startsWith('application/x-www-form-urlencoded')) {
          resolve(Object.fromEntries(new URLSearchParams(data)));
        } else {
          resolve(data ? JSON.parse(data) : {});
        }
      } catch (err) {
        reject(err);
      }
    });
    req.on('error', reject);
  });
}

function bearer(req) {
  const header = req.headers.authorization || '';
  const [scheme, token] = header.split(' ');
  return /^Bearer$/i.test(scheme) && token ? token : null;
}

async function token(req, res, { clients, tokens, config }) {
  const body = await readBody(req);
  if (body.grant_type !== 'client_credentials') {
    return send(res, 400, { error: 'unsupported_grant_type' });
  }
  const client = authenticate(clients, body.client_id, body.client_secret);
  if (!client) return send(res, 401, { error: 'invalid_client' });
  const scopes = grantScopes(client, body.scope);
  if (!scopes) return send(res, 400, { error: 'invalid_scope' });
  const accessToken = tokens.issueAccessToken(client.id, scopes);
  return send(res, 200, {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: config.accessTokenTtlSeconds,
    scope: scopes.join(' '),
  });
}

async function introspect(req, res, { tokens }) {
  const caller = bearer(req);
  try {
    tokens.verifyServiceToken(caller);
  } catch (err) {
    return send(res, 401, { error: 'invalid_token' });
  }
  const body = await readBody(req);
  try {
    const claims = tokens.verifyAccessToken(body.token);
    return send(res, 200, { active: true, ...claims });
  } catch (err) {
    return send(res, 200, { active: false });
  }
}

function createServer(deps) {
  return http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const route = `${req.method} ${url.pathname}`;
    let handler;
    if (route === 'POST /oauth/token') handler = token;
    else if (route === 'POST /oauth/introspect') handler = introspect;
    else if (route === 'GET /.well-known/jwks.json') {
      return send(res, 200, deps.tokens.jwks());
    } else if (route === 'GET /healthz') {
      return send(res, 200, { ok: true });
    } else {
      return send(res, 404, { error: 'not_found' });
    }
    handler(req, res, deps).catch((err) => {
      console.error(err);
      send(res, 500, { error: 'server_error' });
    });
  });
}

module.exports = { createServer };
