package com.acme.orderdesk.hidden;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.fail;

import com.acme.orderdesk.archive.ShipmentArchive;
import com.acme.orderdesk.codec.OrderCodec;
import com.thoughtworks.xstream.security.ForbiddenClassException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.attacker.Planted;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The fix is an allowlist of the application's own types, not "allow everything": a file on
 * the share naming any other class is refused before it is instantiated.
 */
public class RefusesForeignTypesTest {
    @Rule public TemporaryFolder tmp = new TemporaryFolder();

    private static final String PLANTED = "<org.attacker.Planted/>";
    private static final String PROCESS =
            "<java.lang.ProcessBuilder><command><string>touch</string><string>/tmp/pwned</string></command></java.lang.ProcessBuilder>";
    private static final String[] FOREIGN_ORDERS = {
        PLANTED, PROCESS, "<order><number>SO-1</number><customer class=\"org.attacker.Planted\"/></order>",
    };
    private static final String[] FOREIGN_SHIPMENTS = {
        PLANTED, PROCESS, "<shipment><orderNumber>SO-1</orderNumber><parcels class=\"org.attacker.Planted\"/></shipment>",
    };

    @Test
    public void theOrderCodecRefusesForeignTypes() {
        for (String xml : FOREIGN_ORDERS) {
            Planted.ran = false;
            try {
                new OrderCodec().read(xml);
                fail("OrderCodec deserialized " + xml);
            } catch (ForbiddenClassException expected) {
                // refused by the type allowlist
            } catch (RuntimeException other) {
                fail("OrderCodec instantiated a foreign type from " + xml + " (" + other + "): it is not refused by type");
            }
            assertFalse("OrderCodec ran code of org.attacker.Planted", Planted.ran);
        }
    }

    @Test
    public void theShipmentArchiveRefusesForeignTypes() throws Exception {
        Path dir = tmp.getRoot().toPath();
        for (String xml : FOREIGN_SHIPMENTS) {
            Planted.ran = false;
            Files.writeString(dir.resolve("SO-666.xml"), xml);
            try {
                new ShipmentArchive(dir).load("SO-666");
                fail("ShipmentArchive deserialized " + xml);
            } catch (ForbiddenClassException expected) {
                // refused by the type allowlist
            } catch (RuntimeException other) {
                fail("ShipmentArchive instantiated a foreign type from " + xml + " (" + other + "): it is not refused by type");
            }
            assertFalse("ShipmentArchive ran code of org.attacker.Planted", Planted.ran);
        }
    }
}
