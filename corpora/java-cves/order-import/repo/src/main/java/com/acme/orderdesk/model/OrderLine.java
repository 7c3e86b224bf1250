package com.acme.orderdesk.model;

/** One article of an order. */
public class OrderLine {
    private String sku;
    private int quantity;

    public OrderLine() {}

    public OrderLine(String sku, int quantity) {
        this.sku = sku;
        this.quantity = quantity;
    }

    public String getSku() { return sku; }
    public int getQuantity() { return quantity; }
}
