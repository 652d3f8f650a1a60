//! `non-concurrent-detach-partition`: `ALTER TABLE … DETACH PARTITION` without `CONCURRENTLY` on
//! an existing partitioned table.
//!
//! A plain `DETACH PARTITION` takes ACCESS EXCLUSIVE on the partitioned table: a catalog change,
//! but while it waits for every running query on any partition, every new query on the whole
//! table — reads included — queues behind it. `DETACH PARTITION … CONCURRENTLY` (PostgreSQL 14+)
//! takes SHARE UPDATE EXCLUSIVE on the parent instead and waits out running transactions in two
//! steps. It cannot run in a transaction block, nor on a table with a default partition; if it
//! is interrupted, `ALTER TABLE … DETACH PARTITION … FINALIZE` completes it.
//!
//! Not checked before 14, where there is no concurrent form. Locking rule: silent on partitioned
//! tables created earlier in the same file or run.

use super::{Hit, SectionCx};
use crate::locks::LockLevel;
use crate::walk;
use pg_query::protobuf::AlterTableType;
use pg_query::NodeEnum;

pub fn check(cx: &SectionCx<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    if cx.options.pg_version < 140000 {
        return hits;
    }
    for (i, statement) in cx.statements.iter().enumerate() {
        let NodeEnum::AlterTableStmt(alter) = &statement.node else {
            continue;
        };
        let table = walk::table_name(&alter.relation);
        for cmd in walk::alter_commands(alter) {
            if cmd.subtype != AlterTableType::AtDetachPartition as i32 {
                continue;
            }
            let Some(NodeEnum::PartitionCmd(partition)) = crate::parse::inner(&cmd.def) else {
                continue;
            };
            if partition.concurrent {
                continue;
            }
            let part = walk::table_name(&partition.name);
            let lock = LockLevel::AccessExclusive;
            let (t, p) = (walk::table_ident(&table), walk::table_ident(&part));
            hits.push(
                Hit::at(
                    i,
                    format!("DETACH PARTITION without CONCURRENTLY takes ACCESS EXCLUSIVE on {table}: while it waits for running queries, every query on {table} waits behind it"),
                )
                .lock(format!(
                    "{} on {table} and {part}, briefly, but while it waits for running queries it {}",
                    lock.name(),
                    lock.blocks()
                ))
                .help(format!(
                    "ALTER TABLE {t} DETACH PARTITION {p} CONCURRENTLY;\n\
                     (in its own migration: CONCURRENTLY cannot run inside a transaction, nor when {t} has a default partition; if it is interrupted, ALTER TABLE {t} DETACH PARTITION {p} FINALIZE; completes it)"
                ))
                .table(table.clone()),
            );
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::*;
    use crate::source::{Options, Source};
    use crate::Severity;

    const RULE: &str = "non-concurrent-detach-partition";

    #[test]
    fn fires_on_an_existing_table() {
        assert!(fires(
            RULE,
            "ALTER TABLE measurements DETACH PARTITION measurements_2023;"
        ));
        assert!(fires(
            RULE,
            "ALTER TABLE app.events DETACH PARTITION app.events_old;"
        ));
        let findings = lint_up("ALTER TABLE measurements DETACH PARTITION measurements_2023;");
        let hit = of(&findings, RULE)[0];
        assert_eq!(hit.severity, Severity::Warning);
        assert!(hit.help.as_deref().unwrap().starts_with(
            "ALTER TABLE measurements DETACH PARTITION measurements_2023 CONCURRENTLY;"
        ));
    }

    #[test]
    fn does_not_fire() {
        assert!(!fires(
            RULE,
            "ALTER TABLE measurements DETACH PARTITION measurements_2023 CONCURRENTLY;"
        ));
        assert!(!fires(
            RULE,
            "ALTER TABLE measurements DETACH PARTITION measurements_2023 FINALIZE;"
        ));
        assert!(!fires(RULE, "ALTER TABLE measurements ATTACH PARTITION m_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');"));
        // Created earlier in the same file.
        assert!(!fires(
            RULE,
            "CREATE TABLE measurements (at date NOT NULL) PARTITION BY RANGE (at);\nCREATE TABLE m_2023 PARTITION OF measurements FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');\nALTER TABLE measurements DETACH PARTITION m_2023;"
        ));
        // No concurrent form before 14.
        let pg13 = Options {
            pg_version: 130000,
            ..Options::default()
        };
        let findings = lint_with(
            &[Source::plain(
                "m.sql",
                "ALTER TABLE measurements DETACH PARTITION m_2023;",
            )],
            &pg13,
        );
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
    }

    #[test]
    fn waived() {
        let findings = lint_up("-- strata:lint-ignore non-concurrent-detach-partition measurements has a default partition\nALTER TABLE measurements DETACH PARTITION m_2023;");
        assert!(of(&findings, RULE).is_empty(), "{findings:?}");
        assert!(of(&findings, "unused-waiver").is_empty(), "{findings:?}");
    }
}
