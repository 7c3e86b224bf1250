package com.acme.partnerhub.plugins;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The class loader of the partners' plugin jars in a folder (/opt/partnerhub/partners). */
public final class PartnerClasses {
    private PartnerClasses() {}

    public static ClassLoader in(Path dir) throws IOException {
        List<URL> jars = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*.jar")) {
                for (Path jar : entries) {
                    jars.add(url(jar));
                }
            }
        }
        return new URLClassLoader(jars.toArray(new URL[0]), PartnerClasses.class.getClassLoader());
    }

    private static URL url(Path jar) throws MalformedURLException {
        return jar.toUri().toURL();
    }
}
