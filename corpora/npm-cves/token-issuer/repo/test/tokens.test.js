'use strict';

const assert = require('node:assert/strict');
const { test } = require('node:test');
const jwt = require('jsonwebtoken');

const { createTokenService } = require('../src/tokens');
const { devConfig, mountedKeys } = require('./helpers');

test('an issued access token verifies and carries the expected claims', () => {
  const tokens = createTokenService(devConfig());
  const token = tokens.issueAccessToken('billing-worker', ['invoices:read', 'customers:read']);
  const claims = tokens.verifyAccessToken(token);
  assert.equal(claims.sub, 'billing-worker');
  assert.equal(claims.iss, 'https://auth.northwind.internal');
  assert.equal(claims.aud, 'northwind-apis');
  assert.equal(claims.scope, 'invoices:read customers:read');
  assert.equal(claims.exp - claims.iat, 15 * 60);
  const { header } = jwt.decode(token, { complete: true });
  assert.equal(header.alg, 'RS256');
  assert.equal(header.kid, 'dev-ephemeral');
});

test('an expired access token is refused', () => {
  const tokens = createTokenService(devConfig({ accessTokenTtl: '-10s' }));
  const token = tokens.issueAccessToken('reporting', ['invoices:read']);
  assert.throws(() => tokens.verifyAccessToken(token), { name: 'TokenExpiredError' });
});

test('a token for another audience is refused', () => {
  const other = createTokenService(devConfig({ ...mountedKeys(), audience: 'partner-apis' }));
  const tokens = createTokenService(devConfig(mountedKeys()));
  const token = other.issueAccessToken('reporting', ['invoices:read']);
  assert.throws(() => tokens.verifyAccessToken(token), /audience invalid/);
});

test('a tampered access token is refused', () => {
  const tokens = createTokenService(devConfig());
  const token = tokens.issueAccessToken('reporting', ['invoices:read']);
  const [h, p, s] = token.split('.');
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
  payload.scope = 'invoices:read invoices:write';
  const forged = [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), s].join('.');
  assert.throws(() => tokens.verifyAccessToken(forged), /invalid signature/);
});

test('service tokens signed with the shared secret are accepted', () => {
  const secret = 'gateway-shared-secret-for-tests';
  const tokens = createTokenService(devConfig({ serviceTokenSecret: secret }));
  const good = jwt.sign({ svc: 'api-gateway' }, secret, { issuer: 'northwind-internal', expiresIn: '1m' });
  assert.equal(tokens.verifyServiceToken(good).svc, 'api-gateway');
  const bad = jwt.sign({ svc: 'api-gateway' }, 'another-secret', { issuer: 'northwind-internal' });
  assert.throws(() => tokens.verifyServiceToken(bad), /invalid signature/);
});

test('a mounted key pair is used when configured', () => {
  const tokens = createTokenService(devConfig(mountedKeys()));
  const token = tokens.issueAccessToken('reporting', ['customers:read']);
  assert.equal(jwt.decode(token, { complete: true }).header.kid, 'test-mounted');
  assert.equal(tokens.verifyAccessToken(token).scope, 'customers:read');
  assert.equal(tokens.jwks().keys[0].kid, 'test-mounted');
  assert.throws(() => createTokenService(devConfig({ signingKeyFile: mountedKeys().signingKeyFile })), /JWT_VERIFY_KEY_FILE/);
});

test('the JWKS publishes the verification key', () => {
  const jwks = createTokenService(devConfig()).jwks();
  assert.equal(jwks.keys.length, 1);
  const [key] = jwks.keys;
  assert.equal(key.kty, 'RSA');
  assert.equal(key.kid, 'dev-ephemeral');
  assert.equal(key.alg, 'RS256');
  assert.equal(key.e, 'AQAB');
});
