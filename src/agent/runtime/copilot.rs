//! TODO
use super::{RunSetup, RuntimeAgent};
use crate::agent::transcript::Transcript;

pub(super) fn command(
    _agent: &RuntimeAgent,
    run: &RunSetup<'_>,
    argv: &mut Vec<String>,
    _env: &mut Vec<(String, String)>,
) {
    argv.extend(["-p".to_string(), run.prompt.to_string()]);
}

pub(super) fn parse(stdout: &str) -> Transcript {
    let (_values, unparsed) = super::json_lines(stdout);
    Transcript {
        unparsed,
        ..Transcript::default()
    }
}
