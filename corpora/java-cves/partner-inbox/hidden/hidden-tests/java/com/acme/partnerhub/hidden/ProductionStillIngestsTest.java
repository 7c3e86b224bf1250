package com.acme.partnerhub.hidden;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.acme.partnerhub.inbox.Envelope;
import com.acme.partnerhub.inbox.PartnerInbox;
import com.kuehlhaus.telemetry.ColdChainReading;
import org.junit.Test;
import se.nordhamn.port.BerthBooked;

/**
 * What production does today must keep working until the partners' types are settled:
 * envelopes of onboarded partners and of a partner whose package is new are received, and
 * the advisories' gadgets are still refused.
 */
public class ProductionStillIngestsTest {
    private final PartnerInbox inbox = new PartnerInbox(getClass().getClassLoader());

    @Test
    public void receivesAnOnboardedPartnersEvent() {
        Envelope e = inbox.receive("<envelope>\n  <partner>kuehlhaus</partner>\n  <messageId>m-0901</messageId>\n"
                + "  <payload class=\"com.kuehlhaus.telemetry.ColdChainReading\">\n    <trailer>KH-TR-12</trailer>\n"
                + "    <celsius>4.5</celsius>\n  </payload>\n</envelope>");
        assertEquals("m-0901", e.getMessageId());
        assertEquals(4.5, ((ColdChainReading) e.getPayload()).celsius, 0.0);
        assertTrue(inbox.acknowledge(e).contains("<queue>quality</queue>"));
    }

    @Test
    public void receivesTheEventOfAPartnerInOnboarding() {
        Envelope e = inbox.receive("<envelope>\n  <partner>nordhamn</partner>\n  <messageId>n-1</messageId>\n"
                + "  <payload class=\"se.nordhamn.port.BerthBooked\">\n    <vessel>MS Aurora</vessel>\n"
                + "    <berth>7</berth>\n  </payload>\n</envelope>");
        assertEquals(7, ((BerthBooked) e.getPayload()).berth);
        assertTrue(inbox.acknowledge(e).contains("<queue>dispatch.nordhamn</queue>"));
    }

    @Test
    public void stillRefusesTheAdvisoriesGadgets() {
        try {
            inbox.receive("<envelope><partner>x</partner><payload class=\"java.lang.ProcessBuilder\">"
                    + "<command><string>true</string></command></payload></envelope>");
            fail("the inbox deserialized a java.lang.ProcessBuilder");
        } catch (com.thoughtworks.xstream.security.ForbiddenClassException expected) {
            // denied
        }
    }
}
