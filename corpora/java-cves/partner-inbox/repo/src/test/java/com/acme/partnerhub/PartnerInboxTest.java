package com.acme.partnerhub;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.acme.partnerhub.inbox.Envelope;
import com.acme.partnerhub.inbox.PartnerInbox;
import com.kuehlhaus.telemetry.ColdChainReading;
import org.junit.Test;

public class PartnerInboxTest {
    private final PartnerInbox inbox = new PartnerInbox(getClass().getClassLoader());

    @Test
    public void acknowledgesWithTheMessageIdAndQueue() {
        ColdChainReading reading = new ColdChainReading();
        reading.trailer = "KH-TR-88";
        reading.celsius = 3.5;
        String ack = inbox.acknowledge(new Envelope("kuehlhaus", "m-0017", reading));
        assertTrue(ack, ack.startsWith("<ack>"));
        assertTrue(ack, ack.contains("<messageId>m-0017</messageId>"));
        assertTrue(ack, ack.contains("<queue>quality</queue>"));
    }

    @Test
    public void routesOtherEventsToThePartnersDispatchQueue() {
        String ack = inbox.acknowledge(new Envelope("fleetco", "f-1", "plain text"));
        assertEquals("<ack>\n  <messageId>f-1</messageId>\n  <queue>dispatch.fleetco</queue>\n</ack>", ack);
    }
}
