package com.acme.partnerhub.inbox;

/** partnerhub's answer to an envelope. */
public class Ack {
    private final String messageId;
    private final String queue;

    public Ack(String messageId, String queue) {
        this.messageId = messageId;
        this.queue = queue;
    }

    public String getMessageId() { return messageId; }
    public String getQueue() { return queue; }
}
