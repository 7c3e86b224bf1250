'use strict';

const crypto = require('crypto');

/** In-memory order store, partitioned by tenant. */
class OrderStore {
  constructor(seed = []) {
    this.orders = seed.map((o) => ({ ...o }));
  }

  list(tenant) {
    return this.orders.filter((o) => o.tenant === tenant);
  }

  get(tenant, id) {
    return this.orders.find((o) => o.tenant === tenant && o.id === id) || null;
  }

  create(tenant, { sku, quantity }, createdBy) {
    if (typeof sku !== 'string' || !/^[A-Z0-9-]{3,32}$/.test(sku)) {
      throw Object.assign(new Error('sku must be 3-32 upper-case letters, digits or dashes'), { status: 400 });
    }
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > 1000) {
      throw Object.assign(new Error('quantity must be an integer from 1 to 1000'), { status: 400 });
    }
    const order = {
      id: `ord_${crypto.randomBytes(6).toString('hex')}`,
      tenant,
      sku,
      quantity,
      createdBy,
      status: 'pending',
    };
    this.orders.push(order);
    return order;
  }
}

module.exports = { OrderStore };
