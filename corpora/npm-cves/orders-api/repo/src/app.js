'use strict';

const express = require('express');
const jwt = require('express-jwt');

const { createKeyResolver, loadTrustedKeys } = require('./keys');
const { OrderStore } = require('./orders');

function requireScope(scope) {
  return (req, res, next) => {
    const granted = String(req.user.scope || '').split(' ');
    if (!granted.includes(scope)) {
      return res.status(403).json({ error: 'insufficient_scope', scope });
    }
    return next();
  };
}

function createApp({
  trustedKeys = loadTrustedKeys(),
  audience = process.env.API_AUDIENCE || 'https://orders.api.example',
  store = new OrderStore(),
} = {}) {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json());

  app.get('/healthz', (req, res) => res.json({ ok: true }));

  // Every /v1 route needs a bearer token from one of the tenants' identity
  // providers (RS256, key picked by `kid`); the claims land on req.user.
  app.use('/v1', jwt({
    secret: createKeyResolver(trustedKeys),
    audience,
  }));

  app.get('/v1/orders', requireScope('orders:read'), (req, res) => {
    res.json({ orders: store.list(req.user.tenant) });
  });

  app.get('/v1/orders/:id', requireScope('orders:read'), (req, res) => {
    const order = store.get(req.user.tenant, req.params.id);
    if (!order) return res.status(404).json({ error: 'not_found' });
    return res.json(order);
  });

  app.post('/v1/orders', requireScope('orders:write'), (req, res) => {
    const order = store.create(req.user.tenant, req.body || {}, req.user.sub);
    res.status(201).json(order);
  });

  // eslint-disable-next-line no-unused-vars
  app.use((err, req, res, next) => {
    if (err.name === 'UnauthorizedError') {
      return res.status(401).json({ error: 'invalid_token', reason: err.code });
    }
    if (err.status && err.status < 500) {
      return res.status(err.status).json({ error: 'bad_request', message: err.message });
    }
    console.error(err);
    return res.status(500).json({ error: 'server_error' });
  });

  return app;
}

module.exports = { createApp, requireScope };
