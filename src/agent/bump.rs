//! What a dependency bot does: raise a package to its fixed version in the dependency
//! manifests (*requirements*.txt, pyproject.toml, package.json, Cargo.toml, and for a Maven
//! package `group:artifact`, pom.xml and build.gradle[.kts]) and nothing else.

use std::path::{Path, PathBuf};

use regex::Regex;

/// Raises `package` to `fixed` in every manifest under `root` (not in `.git`,
/// `node_modules` or `target`); returns the files it changed.
pub fn bump_manifests(root: &Path, package: &str, fixed: &str) -> std::io::Result<Vec<PathBuf>> {
    let mut changed = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            !matches!(
                e.file_name().to_str(),
                Some(".git" | "node_modules" | "target" | ".venv")
            )
        });
    for entry in walker {
        let entry = entry.map_err(std::io::Error::other)?;
        if !entry.file_type().is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        let rewrite: fn(&str, &str, &str) -> Option<String> =
            if crate::corpus::ecosystem::is_requirements(&name) {
                requirements
            } else if name == "pyproject.toml" {
                pyproject
            } else if name == "package.json" {
                package_json
            } else if name == "Cargo.toml" {
                cargo_toml
            } else if name == "pom.xml" {
                pom_xml
            } else if name == "build.gradle" || name == "build.gradle.kts" {
                gradle
            } else {
                continue;
            };
        let text = std::fs::read_to_string(entry.path())?;
        if let Some(new) = rewrite(&text, package, fixed).filter(|new| *new != text) {
            std::fs::write(entry.path(), new)?;
            changed.push(entry.path().to_path_buf());
        }
    }
    Ok(changed)
}

/// PyPI names compare case-insensitively with `-`, `_` and `.` equivalent.
fn pypi_name(package: &str) -> String {
    package
        .split(['-', '_', '.'])
        .map(regex::escape)
        .collect::<Vec<_>>()
        .join("[-_.]")
}

fn requirements(text: &str, package: &str, fixed: &str) -> Option<String> {
    let re = Regex::new(&format!(
        r"(?im)^([ \t]*{}[ \t]*(?:\[[^\]]*\])?)[ \t]*(?:[=<>!~]=?[ \t]*[^;#\s,]+(?:[ \t]*,[ \t]*[=<>!~]=?[ \t]*[^;#\s,]+)*)?([ \t]*(?:[;#].*)?)$",
        pypi_name(package)
    ))
    .ok()?;
    Some(
        re.replace_all(text, format!("${{1}}=={fixed}${{2}}"))
            .into_owned(),
    )
}

fn pyproject(text: &str, package: &str, fixed: &str) -> Option<String> {
    // PEP 621 strings: "pyyaml==5.3.1", "PyYAML>=5,<6".
    let pep621 = Regex::new(&format!(
        r#"(?i)(["']\s*{}\s*(?:\[[^\]]*\])?)\s*[=<>!~][^"';]*"#,
        pypi_name(package)
    ))
    .ok()?;
    let text = pep621
        .replace_all(text, format!("${{1}}=={fixed}"))
        .into_owned();
    // Poetry tables: pyyaml = "^5.3".
    let poetry = Regex::new(&format!(
        r#"(?im)^(\s*{}\s*=\s*")[^"]*(")"#,
        pypi_name(package)
    ))
    .ok()?;
    Some(
        poetry
            .replace_all(&text, format!("${{1}}{fixed}${{2}}"))
            .into_owned(),
    )
}

fn package_json(text: &str, package: &str, fixed: &str) -> Option<String> {
    let re = Regex::new(&format!(
        r#"("{}"\s*:\s*")([\^~]?)[^"]*(")"#,
        regex::escape(package)
    ))
    .ok()?;
    Some(
        re.replace_all(text, format!("${{1}}${{2}}{fixed}${{3}}"))
            .into_owned(),
    )
}

fn cargo_toml(text: &str, package: &str, fixed: &str) -> Option<String> {
    let name = regex::escape(package);
    let plain = Regex::new(&format!(r#"(?m)^(\s*{name}\s*=\s*")[^"]*(")"#)).ok()?;
    let text = plain
        .replace_all(text, format!("${{1}}{fixed}${{2}}"))
        .into_owned();
    let table = Regex::new(&format!(
        r#"(?m)^(\s*{name}\s*=\s*\{{[^}}\n]*version\s*=\s*")[^"]*(")"#
    ))
    .ok()?;
    Some(
        table
            .replace_all(&text, format!("${{1}}{fixed}${{2}}"))
            .into_owned(),
    )
}

/// A Maven package is named `group:artifact`; anything else is no Maven package.
fn maven_coordinates(package: &str) -> Option<(&str, &str)> {
    package
        .split_once(':')
        .filter(|(g, a)| !g.is_empty() && !a.is_empty() && !a.contains(':'))
}

/// Every `<dependency>` of `group:artifact` (in `<dependencies>` and
/// `<dependencyManagement>` alike) gets `<version>fixed</version>`; a version that is a
/// `${property}` is raised where the property is defined instead.
fn pom_xml(text: &str, package: &str, fixed: &str) -> Option<String> {
    let (group, artifact) = maven_coordinates(package)?;
    let block = Regex::new(r"(?s)<dependency>.*?</dependency>").ok()?;
    let names = |tag: &str, value: &str| {
        Regex::new(&format!(r"<{tag}>\s*{}\s*</{tag}>", regex::escape(value)))
    };
    let (group_re, artifact_re) = (
        names("groupId", group).ok()?,
        names("artifactId", artifact).ok()?,
    );
    let version = Regex::new(r"(<version>\s*)([^<]*?)(\s*</version>)").ok()?;
    let mut properties = Vec::new();
    let text = block.replace_all(text, |c: &regex::Captures<'_>| {
        let dep = &c[0];
        if !group_re.is_match(dep) || !artifact_re.is_match(dep) {
            return dep.to_string();
        }
        match version.captures(dep) {
            Some(v) if v[2].starts_with("${") && v[2].ends_with('}') => {
                properties.push(v[2][2..v[2].len() - 1].to_string());
                dep.to_string()
            }
            Some(_) => version
                .replace(dep, format!("${{1}}{fixed}${{3}}"))
                .into_owned(),
            None => dep.to_string(),
        }
    });
    let mut text = text.into_owned();
    for property in properties {
        let tag = regex::escape(&property);
        let re = Regex::new(&format!(r"(<{tag}>\s*)[^<]*?(\s*</{tag}>)")).ok()?;
        text = re
            .replace_all(&text, format!("${{1}}{fixed}${{2}}"))
            .into_owned();
    }
    Some(text)
}

/// `"group:artifact:version"` strings (Groovy and Kotlin DSL alike).
fn gradle(text: &str, package: &str, fixed: &str) -> Option<String> {
    let (group, artifact) = maven_coordinates(package)?;
    let re = Regex::new(&format!(
        r#"(["']{}:{}:)[^"':@]+"#,
        regex::escape(group),
        regex::escape(artifact)
    ))
    .ok()?;
    Some(re.replace_all(text, format!("${{1}}{fixed}")).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bumps_each_manifest_format() {
        assert_eq!(
            requirements(
                "requests==2.0\nPyYAML==5.3.1  # config\npyyaml-include>=1\n",
                "pyyaml",
                "5.4"
            )
            .as_deref(),
            Some("requests==2.0\nPyYAML==5.4  # config\npyyaml-include>=1\n")
        );
        assert_eq!(
            requirements("pyyaml\n", "PyYAML", "6.0").as_deref(),
            Some("pyyaml==6.0\n")
        );
        assert_eq!(
            pyproject(
                "dependencies = [\"PyYAML>=5,<5.4\", \"x\"]\n",
                "pyyaml",
                "5.4"
            )
            .as_deref(),
            Some("dependencies = [\"PyYAML==5.4\", \"x\"]\n")
        );
        assert_eq!(
            package_json(
                r#"{"dependencies": {"jsonwebtoken": "^8.5.1"}}"#,
                "jsonwebtoken",
                "9.0.0"
            )
            .as_deref(),
            Some(r#"{"dependencies": {"jsonwebtoken": "^9.0.0"}}"#)
        );
        assert_eq!(
            cargo_toml(
                "[dependencies]\ntime = \"0.1\"\nserde = { version = \"1\" }\n",
                "time",
                "0.3.36"
            )
            .as_deref(),
            Some("[dependencies]\ntime = \"0.3.36\"\nserde = { version = \"1\" }\n")
        );
        assert_eq!(
            cargo_toml(
                "[dependencies]\ntime = { version = \"0.1\", features = [\"x\"] }\n",
                "time",
                "0.3"
            )
            .as_deref(),
            Some("[dependencies]\ntime = { version = \"0.3\", features = [\"x\"] }\n")
        );
    }

    #[test]
    fn bumps_maven_dependencies_in_poms_and_gradle_builds() {
        let pom = "<project>\n<properties><xs.version>1.4.17</xs.version></properties>\n<dependencies>\n\
            <dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>4.13.2</version></dependency>\n\
            <dependency>\n  <groupId>com.thoughtworks.xstream</groupId>\n  <artifactId>xstream</artifactId>\n  <version>1.4.17</version>\n</dependency>\n\
            <dependency><groupId>com.thoughtworks.xstream</groupId><artifactId>xstream-hibernate</artifactId><version>1.4.17</version></dependency>\n\
            </dependencies></project>\n";
        let bumped = pom_xml(pom, "com.thoughtworks.xstream:xstream", "1.4.18").unwrap();
        assert!(bumped.contains("<artifactId>xstream</artifactId>\n  <version>1.4.18</version>"));
        assert!(
            bumped.contains("<artifactId>xstream-hibernate</artifactId><version>1.4.17</version>")
        );
        assert!(bumped.contains("<version>4.13.2</version>"));
        assert!(
            bumped.contains("<xs.version>1.4.17</xs.version>"),
            "an unused property stays"
        );

        let by_property = "<properties><xs.version>1.4.17</xs.version></properties>\n\
            <dependency><groupId>com.thoughtworks.xstream</groupId><artifactId>xstream</artifactId><version>${xs.version}</version></dependency>";
        let bumped = pom_xml(by_property, "com.thoughtworks.xstream:xstream", "1.4.18").unwrap();
        assert!(
            bumped.contains("<xs.version>1.4.18</xs.version>"),
            "{bumped}"
        );
        assert!(bumped.contains("<version>${xs.version}</version>"));

        assert_eq!(
            pom_xml(pom, "xstream", "1.4.18"),
            None,
            "not a Maven package"
        );
        assert_eq!(
            gradle(
                "implementation 'com.thoughtworks.xstream:xstream:1.4.17'\ntestImplementation(\"junit:junit:4.13.2\")\n",
                "com.thoughtworks.xstream:xstream",
                "1.4.18"
            )
            .as_deref(),
            Some("implementation 'com.thoughtworks.xstream:xstream:1.4.18'\ntestImplementation(\"junit:junit:4.13.2\")\n")
        );
    }
}
