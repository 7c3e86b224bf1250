//! What a dependency bot does: raise a package to its fixed version in the dependency
//! manifests (requirements*.txt, pyproject.toml, package.json, Cargo.toml) and nothing else.

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
            if name.starts_with("requirements") && name.ends_with(".txt") {
                requirements
            } else if name == "pyproject.toml" {
                pyproject
            } else if name == "package.json" {
                package_json
            } else if name == "Cargo.toml" {
                cargo_toml
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
}
