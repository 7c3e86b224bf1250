package com.acme.orderdesk.codec;

import com.acme.orderdesk.model.Order;
import com.acme.orderdesk.model.OrderLine;
import com.thoughtworks.xstream.XStream;

/**
 * The order exchange format: the shop front writes one {@code <order>} document per file on
 * the SFTP share, and the order desk reads it back with {@link #read}.
 */
public final class OrderCodec {
    private final XStream xstream;

    public OrderCodec() {
        xstream = new XStream();
        xstream.alias("order", Order.class);
        xstream.alias("line", OrderLine.class);
        xstream.addImplicitCollection(Order.class, "lines", "line", OrderLine.class);
    }

    /** The exchange document of {@code order}. */
    public String write(Order order) {
        return xstream.toXML(order);
    }

    /** The order in an exchange document. */
    public Order read(String xml) {
        return (Order) xstream.fromXML(xml);
    }
}
