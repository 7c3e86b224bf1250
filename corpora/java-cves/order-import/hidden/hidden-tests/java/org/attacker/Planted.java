package org.attacker;

/** Stands in for a gadget class on the classpath: deserializing it runs code. */
public class Planted {
    public static volatile boolean ran;

    private Object readResolve() {
        ran = true;
        return this;
    }
}
