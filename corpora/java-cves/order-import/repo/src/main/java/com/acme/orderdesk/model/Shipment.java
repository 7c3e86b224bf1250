package com.acme.orderdesk.model;

import java.util.ArrayList;
import java.util.List;

/** A dispatched shipment: the order it fulfils and its parcels. */
public class Shipment {
    private String orderNumber;
    private Carrier carrier;
    private List<Parcel> parcels = new ArrayList<>();

    public Shipment() {}

    public Shipment(String orderNumber, Carrier carrier) {
        this.orderNumber = orderNumber;
        this.carrier = carrier;
    }

    public String getOrderNumber() { return orderNumber; }
    public Carrier getCarrier() { return carrier; }
    public List<Parcel> getParcels() { return parcels; }

    public Shipment add(Parcel parcel) {
        parcels.add(parcel);
        return this;
    }
}
