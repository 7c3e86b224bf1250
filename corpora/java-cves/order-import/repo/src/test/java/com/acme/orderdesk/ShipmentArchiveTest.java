package com.acme.orderdesk;

import static org.junit.Assert.assertTrue;

import com.acme.orderdesk.archive.ShipmentArchive;
import com.acme.orderdesk.model.Carrier;
import com.acme.orderdesk.model.Parcel;
import com.acme.orderdesk.model.Shipment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class ShipmentArchiveTest {
    @Rule public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void storesOneFilePerShipment() throws Exception {
        ShipmentArchive archive = new ShipmentArchive(tmp.getRoot().toPath());
        Path file = archive.store(new Shipment("SO-1042", Carrier.POSTNL)
                .add(new Parcel("3SABCD1234567", 12400))
                .add(new Parcel("3SABCD1234568", 9800)));
        assertTrue(file.endsWith("SO-1042.xml"));
        String xml = Files.readString(file);
        assertTrue(xml, xml.startsWith("<shipment>"));
        assertTrue(xml, xml.contains("<carrier>POSTNL</carrier>"));
        assertTrue(xml, xml.contains("<trackingCode>3SABCD1234568</trackingCode>"));
    }
}
