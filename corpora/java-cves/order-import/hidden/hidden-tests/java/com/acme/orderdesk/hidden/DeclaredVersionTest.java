package com.acme.orderdesk.hidden;

import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.File;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** pom.xml, which releases are built from, declares an XStream with the fix (>= 1.4.18). */
public class DeclaredVersionTest {
    @Test
    public void releasesUseAFixedXStream() throws Exception {
        Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new File("pom.xml"));
        String version = null;
        NodeList deps = pom.getElementsByTagName("dependency");
        for (int i = 0; i < deps.getLength(); i++) {
            Element dep = (Element) deps.item(i);
            if ("com.thoughtworks.xstream".equals(text(dep, "groupId")) && "xstream".equals(text(dep, "artifactId"))) {
                version = text(dep, "version");
            }
        }
        assertNotNull("pom.xml declares no com.thoughtworks.xstream:xstream dependency", version);
        if (version.startsWith("${") && version.endsWith("}")) {
            String property = version.substring(2, version.length() - 1);
            NodeList props = pom.getElementsByTagName(property);
            assertTrue("pom.xml does not define the property " + property, props.getLength() > 0);
            version = props.item(0).getTextContent().trim();
        }
        assertTrue("pom.xml declares XStream " + version + ", which has CVE-2021-39139 (fixed in 1.4.18)",
                atLeast(version, new int[] {1, 4, 18}));
    }

    private static String text(Element parent, String tag) {
        NodeList nodes = parent.getElementsByTagName(tag);
        return nodes.getLength() == 0 ? null : nodes.item(0).getTextContent().trim();
    }

    private static boolean atLeast(String version, int[] floor) {
        String[] parts = version.split("[.-]");
        for (int i = 0; i < floor.length; i++) {
            int part;
            try {
                part = i < parts.length ? Integer.parseInt(parts[i]) : 0;
            } catch (NumberFormatException e) {
                return false;
            }
            if (part != floor[i]) {
                return part > floor[i];
            }
        }
        return true;
    }
}
