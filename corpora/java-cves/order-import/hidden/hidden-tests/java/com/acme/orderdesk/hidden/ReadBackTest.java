package com.acme.orderdesk.hidden;

import static org.junit.Assert.assertEquals;

import com.acme.orderdesk.archive.ShipmentArchive;
import com.acme.orderdesk.codec.OrderCodec;
import com.acme.orderdesk.model.Carrier;
import com.acme.orderdesk.model.Order;
import com.acme.orderdesk.model.OrderLine;
import com.acme.orderdesk.model.Parcel;
import com.acme.orderdesk.model.Shipment;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Production reads its own files back: the order desk's orders, the returns tool's shipments. */
public class ReadBackTest {
    @Rule public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void readsTheShopFrontsOrders() {
        String fromShopFront = "<order>\n  <number>SO-2211</number>\n  <customer>Kaasboer de Wit</customer>\n"
                + "  <total>64.95</total>\n  <line>\n    <sku>GOUDA-1</sku>\n    <quantity>3</quantity>\n  </line>\n"
                + "  <line>\n    <sku>KNIFE-S</sku>\n    <quantity>1</quantity>\n  </line>\n</order>";
        Order order = new OrderCodec().read(fromShopFront);
        assertEquals("SO-2211", order.getNumber());
        assertEquals(new BigDecimal("64.95"), order.getTotal());
        assertEquals(2, order.getLines().size());
        assertEquals("KNIFE-S", order.getLines().get(1).getSku());
    }

    @Test
    public void readsWhatItWrote() {
        OrderCodec codec = new OrderCodec();
        Order order = codec.read(codec.write(new Order("SO-9", "Atelier Noor", new BigDecimal("9.90"))
                .add(new OrderLine("CUP", 2))));
        assertEquals(2, order.getLines().get(0).getQuantity());
    }

    @Test
    public void readsArchivedShipmentsBack() throws Exception {
        Path dir = tmp.getRoot().toPath();
        new ShipmentArchive(dir).store(new Shipment("SO-1042", Carrier.DHL).add(new Parcel("JJD0001", 5200)));
        Shipment back = new ShipmentArchive(dir).load("SO-1042");
        assertEquals(Carrier.DHL, back.getCarrier());
        assertEquals("JJD0001", back.getParcels().get(0).getTrackingCode());
    }

    @Test
    public void readsShipmentsArchivedBeforeTheUpgrade() throws Exception {
        Path dir = tmp.getRoot().toPath();
        Files.writeString(dir.resolve("SO-0999.xml"), "<shipment>\n  <orderNumber>SO-0999</orderNumber>\n"
                + "  <carrier>UPS</carrier>\n  <parcels>\n    <parcel>\n      <trackingCode>1Z999</trackingCode>\n"
                + "      <grams>800</grams>\n    </parcel>\n  </parcels>\n</shipment>");
        Shipment back = new ShipmentArchive(dir).load("SO-0999");
        assertEquals(800, back.getParcels().get(0).getGrams());
    }
}
