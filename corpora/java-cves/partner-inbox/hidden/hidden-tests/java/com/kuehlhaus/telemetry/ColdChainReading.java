package com.kuehlhaus.telemetry;

/** Kühlhaus Logistik's event, as its plugin jar defines it (a copy for the tests). */
public class ColdChainReading {
    public String trailer;
    public double celsius;
}
