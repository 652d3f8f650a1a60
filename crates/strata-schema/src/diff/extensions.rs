//! Extensions: created, dropped, moved to another schema (`SET SCHEMA`), updated (`UPDATE TO`),
//! and their comments.

use super::by_key;
use super::change::{change, ChangeKind};
use super::comments::{comment_change, comment_statements};
use super::order::{Builder, Phase};
use crate::model::*;
use strata_core::{quote_ident, quote_literal};

pub(super) fn extensions(from: &Schema, to: &Schema, b: &mut Builder) {
    let (f, t) = (by_key(&from.extensions), by_key(&to.extensions));
    // The version the other side has, so that both sides hold the same objects.
    let create = |e: &Extension| {
        format!(
            "CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {} VERSION {} CASCADE;",
            quote_ident(&e.name),
            quote_ident(&e.schema),
            quote_literal(&e.version)
        )
    };
    let drop = |e: &Extension| format!("DROP EXTENSION {};", quote_ident(&e.name));
    let target = |e: &Extension| format!("EXTENSION {}", quote_ident(&e.name));
    for (key, e) in &f {
        if !t.contains_key(key) {
            let mut down = vec![create(e)];
            down.extend(comment_statements(&[(target(e), e.comment.clone())]));
            b.push(
                Phase::DropExtension,
                change(ChangeKind::DropExtension, key.clone(), vec![drop(e)], down),
            );
        }
    }
    for (key, e) in &t {
        let old = f.get(key);
        match old {
            None => b.push(
                Phase::CreateExtension,
                change(
                    ChangeKind::CreateExtension,
                    key.clone(),
                    vec![create(e)],
                    vec![drop(e)],
                ),
            ),
            Some(o) => {
                let name = quote_ident(&e.name);
                if o.schema != e.schema {
                    b.push(
                        Phase::CreateExtension,
                        change(
                            ChangeKind::AlterExtension,
                            key.clone(),
                            vec![format!(
                                "ALTER EXTENSION {name} SET SCHEMA {};",
                                quote_ident(&e.schema)
                            )],
                            vec![format!(
                                "ALTER EXTENSION {name} SET SCHEMA {};",
                                quote_ident(&o.schema)
                            )],
                        ),
                    );
                }
                if o.version != e.version {
                    // The down needs a downgrade script, which extensions rarely ship: the change
                    // says so (a generated file is irreversible) and keeps the statement that
                    // would undo it.
                    let down = format!(
                        "ALTER EXTENSION {name} UPDATE TO {};",
                        quote_literal(&o.version)
                    );
                    let mut c = change(
                        ChangeKind::AlterExtension,
                        key.clone(),
                        vec![format!(
                            "ALTER EXTENSION {name} UPDATE TO {};",
                            quote_literal(&e.version)
                        )],
                        vec![down.clone()],
                    );
                    c.irreversible = Some(format!(
                        "extension {name} goes from version {} to {}, and going back needs a downgrade script, which extensions rarely ship (when it has one, remove this line and write the down: {down})",
                        o.version, e.version
                    ));
                    b.push(Phase::CreateExtension, c);
                }
            }
        }
        // CREATE EXTENSION sets the extension's own comment: the model has it on both sides.
        let before = old.and_then(|o| o.comment.clone());
        if let Some(c) = comment_change(target(e), key.clone(), &before, &e.comment) {
            b.push(Phase::Comment, c);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::diff::fixtures::*;

    #[test]
    fn extensions_created_moved_updated_and_dropped() {
        let ext = |name: &str, schema: &str, version: &str| Extension {
            name: name.into(),
            schema: schema.into(),
            version: version.into(),
            comment: None,
        };
        let from = Schema {
            extensions: vec![
                ext("hstore", "public", "1.8"),
                ext("pg_trgm", "public", "1.5"),
            ],
            tables: vec![table(q("app", "t"), vec![column("x", "text")])],
            ..Schema::default()
        };
        let to = Schema {
            schemas: vec![Namespace {
                name: "ext ü".into(),
                comment: None,
            }],
            extensions: vec![
                ext("citext", "ext ü", "1.6"),
                ext("pg_trgm", "ext ü", "1.6"),
            ],
            ..Schema::default()
        };
        let p = plan(&from, &to);
        use ChangeKind::*;
        assert_eq!(
            kinds(&p),
            [
                CreateSchema,
                CreateExtension,
                AlterExtension,
                AlterExtension,
                DropTable,
                DropExtension
            ]
        );
        assert_eq!(
            p.changes[1].up,
            [
                r#"CREATE EXTENSION IF NOT EXISTS "citext" WITH SCHEMA "ext ü" VERSION '1.6' CASCADE;"#
            ]
        );
        assert_eq!(p.changes[1].down, [r#"DROP EXTENSION "citext";"#]);
        assert_eq!(
            p.changes[2].up,
            [r#"ALTER EXTENSION "pg_trgm" SET SCHEMA "ext ü";"#]
        );
        assert_eq!(
            p.changes[2].down,
            [r#"ALTER EXTENSION "pg_trgm" SET SCHEMA "public";"#]
        );
        assert_eq!(
            p.changes[3].up,
            [r#"ALTER EXTENSION "pg_trgm" UPDATE TO '1.6';"#]
        );
        assert_eq!(p.changes[5].up, [r#"DROP EXTENSION "hstore";"#]);
    }
}
