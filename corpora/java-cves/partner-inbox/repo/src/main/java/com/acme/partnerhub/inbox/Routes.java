package com.acme.partnerhub.inbox;

/** Which team's queue an event goes to: by partner and the payload's class name. */
final class Routes {
    private Routes() {}

    static String queueFor(Envelope envelope) {
        String type = envelope.getPayload() == null ? "" : envelope.getPayload().getClass().getSimpleName();
        if (type.contains("Reading") || type.contains("Temperature")) {
            return "quality";
        }
        if (type.contains("Stock")) {
            return "inventory";
        }
        return "dispatch." + envelope.getPartner();
    }
}
