package com.acme.orderdesk.model;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/** An order as the shop front exports it. */
public class Order {
    private String number;
    private String customer;
    private BigDecimal total;
    private List<OrderLine> lines = new ArrayList<>();

    public Order() {}

    public Order(String number, String customer, BigDecimal total) {
        this.number = number;
        this.customer = customer;
        this.total = total;
    }

    public String getNumber() { return number; }
    public String getCustomer() { return customer; }
    public BigDecimal getTotal() { return total; }
    public List<OrderLine> getLines() { return lines; }

    public Order add(OrderLine line) {
        lines.add(line);
        return this;
    }
}
