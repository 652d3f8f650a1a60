//! The stairway's `-- strata:impact` check, when strata.toml has a `[versioning]` table (as
//! `strata check` does it): the impact of each migration, assessed from the models before and
//! after its up, against the line its file declares.

use crate::desired::Workspace;
use strata_files::MigrationFile;
use strata_schema::{DiffOptions, Schema};

/// The problem with `file`'s `-- strata:impact` line, given the schema before and after its up;
/// `None` when the line says what the change is.
pub fn header_problem(
    ws: &Workspace,
    file: &MigrationFile,
    before: &Schema,
    after: &Schema,
) -> Option<String> {
    let opts = DiffOptions {
        allow_destructive: true,
        renames: Vec::new(),
    };
    let plan = crate::commands::schema::plan(ws.dialect, before, after, &opts);
    let assessment = strata_schema::impact::assess(&plan, before, after);
    let computed = assessment.impact;
    let problem = match file.impact {
        Some(declared) if declared == computed => return None,
        Some(declared) => {
            format!(
                "the header says `-- strata:impact {declared}`, the schema change is {computed}"
            )
        }
        None => format!("no `-- strata:impact` line (the schema change is {computed})"),
    };
    let line = file.header_lines.get("impact").copied().unwrap_or(1);
    let reason = assessment
        .deciding()
        .next()
        .map(|r| format!(" ({}: {})", r.object, r.why))
        .unwrap_or_default();
    Some(format!(
        "{}:{line}: {problem}{reason}; `strata version --compute` writes missing lines, correct a wrong one by hand",
        file.path
    ))
}
