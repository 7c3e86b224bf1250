package com.acme.orderdesk.archive;

import com.acme.orderdesk.model.Parcel;
import com.acme.orderdesk.model.Shipment;
import com.thoughtworks.xstream.XStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The shipment archive: one {@code <shipment>} file per dispatched shipment, named after its
 * order, which the returns tool reads back with {@link #load} when a parcel comes back.
 */
public final class ShipmentArchive {
    private final Path dir;
    private final XStream xstream = new XStream();

    public ShipmentArchive(Path dir) {
        this.dir = dir;
        xstream.alias("shipment", Shipment.class);
        xstream.alias("parcel", Parcel.class);
    }

    /** Writes {@code shipment} to the archive; returns its file. */
    public Path store(Shipment shipment) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(shipment.getOrderNumber() + ".xml");
        Files.writeString(file, xstream.toXML(shipment), StandardCharsets.UTF_8);
        return file;
    }

    /** The archived shipment of order {@code orderNumber}. */
    public Shipment load(String orderNumber) throws IOException {
        String xml = Files.readString(dir.resolve(orderNumber + ".xml"), StandardCharsets.UTF_8);
        return (Shipment) xstream.fromXML(xml);
    }
}
