package com.acme.orderdesk.model;

public enum Carrier { DHL, UPS, POSTNL }
