//! Sqitch: `sqitch.plan` lists the changes in deploy order (`name [requires] time planner
//! <email> # note`, tags as `@tag` lines), each with `deploy/NAME.sql`, `revert/NAME.sql` and
//! `verify/NAME.sql`. The plan's order becomes the `revises` chain and each change's requirements
//! its `-- strata:depends-on`. Deploy scripts usually hold their own `BEGIN; … COMMIT;`, so they
//! are imported with `-- strata:transaction off` and run as written. Verify scripts have no strata
//! equivalent (noted once). `sqitch.changes` records the deployed changes by name and project.

use crate::{bad, Read, SourceFile, SourceMigration};
use std::collections::{BTreeMap, BTreeSet};
use strata_core::Diagnostic;

pub fn read(files: &[SourceFile]) -> Result<Read, Vec<Diagnostic>> {
    let by_path: BTreeMap<&str, &SourceFile> = files.iter().map(|f| (f.path.as_str(), f)).collect();
    let Some(plan) = by_path.get("sqitch.plan") else {
        return Err(vec![bad(
            "sqitch.plan",
            0,
            "no sqitch.plan in the folder".to_owned(),
            "pass the Sqitch project folder (the one holding sqitch.plan) with --dir",
        )]);
    };
    let mut out = Read::default();
    let mut problems = Vec::new();
    let mut names = BTreeSet::new();
    for (i, raw) in plan.text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(pragma) = line.strip_prefix('%') {
            if let Some(project) = pragma.strip_prefix("project=") {
                out.project = Some(project.trim().to_owned());
            }
            continue;
        }
        if line.starts_with('@') {
            continue; // a tag
        }
        let line = line.trim_start_matches(['+', '-']).trim_start();
        let (head, note) = match line.split_once(" # ") {
            Some((h, n)) => (h, n.trim()),
            None => (line, ""),
        };
        let name_end = head
            .find(|c: char| c.is_whitespace() || c == '[')
            .unwrap_or(head.len());
        let name = &head[..name_end];
        let rest = head[name_end..].trim_start();
        let mut requires = Vec::new();
        if let Some(deps) = rest.strip_prefix('[') {
            let Some((deps, _)) = deps.split_once(']') else {
                problems.push(bad(
                    &plan.path,
                    line_no,
                    format!("change {name}: `[` without `]`"),
                    "close the list of dependencies with `]`",
                ));
                continue;
            };
            for dep in deps.split_whitespace() {
                if dep.starts_with('!') {
                    continue; // a conflict: nothing to order
                }
                if dep.contains(':') || dep.contains('@') {
                    problems.push(bad(
                        &plan.path,
                        line_no,
                        format!("change {name} requires `{dep}` (another project, or a tagged version)"),
                        "strata imports one project's plan; remove the cross-project or tagged dependency, or import without it",
                    ));
                    continue;
                }
                requires.push(dep.to_owned());
            }
        }
        if !names.insert(name.to_owned()) {
            problems.push(bad(
                &plan.path,
                line_no,
                format!("change {name} is reworked (planned a second time)"),
                "strata cannot import reworked changes yet; import the plan up to the rework and add the rest with `strata revision`",
            ));
            continue;
        }
        let deploy = format!("deploy/{name}.sql");
        let Some(up) = by_path.get(deploy.as_str()) else {
            problems.push(bad(
                &plan.path,
                line_no,
                format!("change {name} has no {deploy}"),
                "restore the deploy script, or remove the change from the plan",
            ));
            continue;
        };
        out.migrations.push(SourceMigration {
            version: name.to_owned(),
            name: if note.is_empty() {
                name.replace('_', " ")
            } else {
                note.to_owned()
            },
            up: up.text.clone(),
            down: by_path
                .get(format!("revert/{name}.sql").as_str())
                .map(|f| f.text.clone()),
            transaction: true,
            path: deploy,
            tool_checksum: None,
            depends_on: requires,
        });
    }
    if files.iter().any(|f| f.path.starts_with("verify/")) {
        out.notes.push(
            "verify/: Sqitch verify scripts are not imported (strata has no verify step); `strata test` checks migrations instead"
                .to_owned(),
        );
    }
    crate::outcome(out, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::source_file as f;

    #[test]
    fn the_plan_gives_order_names_and_dependencies() {
        let read = read(&[
            f(
                "sqitch.plan",
                "%syntax-version=1.0.0\n%project=flipr\n\nappschema 2024-01-01T00:00:00Z Marge <m@example.com> # Add schema\nusers [appschema] 2024-01-02T00:00:00Z Marge <m@example.com> # Users table\n@v1 2024-01-03T00:00:00Z Marge <m@example.com> # tag\n",
            ),
            f("deploy/appschema.sql", "BEGIN; CREATE SCHEMA flipr; COMMIT;"),
            f("revert/appschema.sql", "DROP SCHEMA flipr;"),
            f("deploy/users.sql", "CREATE TABLE flipr.users ();"),
            f("verify/users.sql", "SELECT 1;"),
        ])
        .unwrap();
        assert_eq!(read.project.as_deref(), Some("flipr"));
        assert_eq!(read.migrations.len(), 2);
        assert_eq!(read.migrations[1].depends_on, vec!["appschema".to_owned()]);
        assert_eq!(read.migrations[1].name, "Users table");
        assert!(read.migrations[1].down.is_none());
        assert_eq!(read.notes.len(), 1);
    }

    #[test]
    fn reworks_are_refused_at_their_plan_line() {
        let err = read(&[
            f("sqitch.plan", "%project=p\na 2024-01-01T00:00:00Z M <m@e> # x\na [a@v1] 2024-01-02T00:00:00Z M <m@e> # y\n"),
            f("deploy/a.sql", "SELECT 1;"),
        ])
        .err()
        .unwrap();
        assert_eq!(err[0].line, 3);
    }
}
