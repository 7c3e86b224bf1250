package se.nordhamn.port;

/** The event of a partner in onboarding, in a package partnerhub has never seen. */
public class BerthBooked {
    public String vessel;
    public int berth;
}
