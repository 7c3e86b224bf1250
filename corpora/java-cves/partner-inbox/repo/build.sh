#!/bin/sh
# The CI build: compiles and tests partnerhub offline against the distribution's packaged
# Java libraries (Debian: libxstream-java, junit4), as the build image does; the build hosts
# reach no Maven repository. Releases are built from pom.xml.
#
#   sh build.sh          compile and run every test under src/test/java
set -eu
jars=/usr/share/java
cp="$jars/xstream.jar:$jars/junit4.jar:$jars/hamcrest.jar"
for jar in "$jars/xstream.jar" "$jars/junit4.jar"; do
  [ -r "$jar" ] || { echo "build.sh: $jar is missing: apt-get install libxstream-java junit4" >&2; exit 2; }
done
out=$(mktemp -d "${TMPDIR:-/tmp}/partnerhub-build.XXXXXX")
trap 'rm -rf "$out"' EXIT
javac -nowarn -encoding UTF-8 -d "$out/main" -cp "$cp" $(find src/main/java -name '*.java')
javac -nowarn -encoding UTF-8 -d "$out/test" -cp "$out/main:$cp" $(find src/test/java -name '*.java')
tests=$(cd "$out/test" && find . -name '*Test.class' | sed 's|^\./||; s|\.class$||; s|/|.|g' | sort)
java -cp "$out/test:$out/main:$cp" org.junit.runner.JUnitCore $tests
