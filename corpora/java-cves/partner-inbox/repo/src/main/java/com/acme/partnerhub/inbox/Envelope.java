package com.acme.partnerhub.inbox;

/** What a partner posts: who sent it, its id, and the partner's own event. */
public class Envelope {
    private String partner;
    private String messageId;
    private Object payload;

    public Envelope() {}

    public Envelope(String partner, String messageId, Object payload) {
        this.partner = partner;
        this.messageId = messageId;
        this.payload = payload;
    }

    public String getPartner() { return partner; }
    public String getMessageId() { return messageId; }
    public Object getPayload() { return payload; }
}
