'use strict';

const { loadConfig } = require('./config');
const { loadClients } = require('./clients');
const { createServer } = require('./server');
const { createTokenService } = require('./tokens');

function ttlSeconds(ttl) {
  const m = /^(\d+)([smh]?)$/.exec(String(ttl));
  if (!m) throw new Error(`bad ACCESS_TOKEN_TTL: ${ttl}`);
  return Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600 }[m[2]];
}

function createApp(env = process.env) {
  const config = loadConfig(env);
  config.accessTokenTtlSeconds = ttlSeconds(config.accessTokenTtl);
  const tokens = createTokenService(config);
  const clients = loadClients(config.clientsFile);
  return { config, tokens, server: createServer({ config, tokens, clients }) };
}

if (require.main === module) {
  const { config, server } = createApp();
  server.listen(config.port, () => {
    console.log(`authd listening on :${config.port} as ${config.issuer}`);
  });
}

module.exports = { createApp, ttlSeconds };
