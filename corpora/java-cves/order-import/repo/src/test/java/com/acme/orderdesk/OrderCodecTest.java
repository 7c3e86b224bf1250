package com.acme.orderdesk;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.acme.orderdesk.codec.OrderCodec;
import com.acme.orderdesk.model.Order;
import com.acme.orderdesk.model.OrderLine;
import java.math.BigDecimal;
import org.junit.Test;

public class OrderCodecTest {
    private final OrderCodec codec = new OrderCodec();

    @Test
    public void writesTheExchangeDocument() {
        Order order = new Order("SO-1042", "Bakkerij Jansen", new BigDecimal("118.40"))
                .add(new OrderLine("FLOUR-25", 4))
                .add(new OrderLine("YEAST-1", 10));
        String xml = codec.write(order);
        assertTrue(xml, xml.startsWith("<order>"));
        assertTrue(xml, xml.contains("<number>SO-1042</number>"));
        assertTrue(xml, xml.contains("<total>118.40</total>"));
        assertEquals(xml, 2, xml.split("<line>", -1).length - 1);
    }

    @Test
    public void keepsTheShopFrontsElementNames() {
        String xml = codec.write(new Order("SO-7", "Atelier Noor", BigDecimal.ONE).add(new OrderLine("CUP", 1)));
        assertTrue(xml, xml.contains("<line>\n    <sku>CUP</sku>\n    <quantity>1</quantity>\n  </line>"));
    }
}
