'use strict';

const crypto = require('crypto');
const fs = require('fs');

function sha256(text) {
  return crypto.createHash('sha256').update(text, 'utf8').digest('hex');
}

function loadClients(file) {
  const { clients } = JSON.parse(fs.readFileSync(file, 'utf8'));
  return clients;
}

/** Returns the client when the id and secret match, otherwise null. */
function authenticate(clients, id, secret) {
  const client = clients.find((c) => c.id === id);
  if (!client || typeof secret !== 'string') return null;
  const expected = Buffer.from(client.secretSha256, 'hex');
  const actual = Buffer.from(sha256(secret), 'hex');
  if (expected.length !== actual.length || !crypto.timingSafeEqual(expected, actual)) {
    return null;
  }
  return client;
}

/** The requested scopes the client may have; all of its scopes when none are asked for. */
function grantScopes(client, requested) {
  if (!requested) return client.scopes.slice();
  const asked = requested.split(' ').filter(Boolean);
  const denied = asked.filter((s) => !client.scopes.includes(s));
  if (denied.length > 0) return null;
  return asked;
}

module.exports = { authenticate, grantScopes, loadClients, sha256 };
