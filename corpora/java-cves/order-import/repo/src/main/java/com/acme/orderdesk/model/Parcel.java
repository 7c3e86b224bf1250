package com.acme.orderdesk.model;

/** One parcel of a shipment, as the carrier labelled it. */
public class Parcel {
    private String trackingCode;
    private int grams;

    public Parcel() {}

    public Parcel(String trackingCode, int grams) {
        this.trackingCode = trackingCode;
        this.grams = grams;
    }

    public String getTrackingCode() { return trackingCode; }
    public int getGrams() { return grams; }
}
