//! Columns of a table that stays: dropped, added, and altered in place (type, default, identity,
//! `NOT NULL` through a validated check), leaving out what a parent's change reaches.

use super::change::{change, hazard, ChangeKind, HazardId, Part, Validation};
use super::order::{Builder, Phase};
use super::partitions::parents;
use super::sequences::owned_sequences;
use super::tables::table_ref;
use crate::model::*;
use crate::render;
use strata_core::{quote_ident, QualifiedName};

fn column_sql(c: &Column) -> String {
    render::column_definition(c).trim_start().to_owned()
}

/// Whether PostgreSQL changes the column's type in place, without rewriting or scanning the table
/// (the same rules as lint's `column-type-change`): the same type (a collation change);
/// `character varying(n)` → `(m ≥ n)`, unbounded or `text`; `text` → unbounded `character
/// varying`; `bit varying(n)` → `(m ≥ n)` or unbounded; `numeric(p,s)` → `(q ≥ p, s)` or
/// unconstrained; `cidr` → `inet`.
pub(super) fn binary_compatible(old: &Column, new: &Column) -> bool {
    if old.data_type == new.data_type {
        return true;
    }
    let wider = |a: Option<i32>, b: Option<i32>| match (a, b) {
        (_, None) => true,
        (Some(a), Some(b)) => b >= a,
        (None, Some(_)) => false,
    };
    match (old.type_name.as_str(), new.type_name.as_str()) {
        ("character varying", "character varying") | ("bit varying", "bit varying") => {
            wider(old.type_modifier, new.type_modifier)
        }
        ("character varying" | "text", "text") => true,
        ("text", "character varying") => new.type_modifier.is_none(),
        ("numeric", "numeric") => match (old.type_modifier, new.type_modifier) {
            (_, None) => true,
            (Some(a), Some(b)) => {
                // typmod = ((precision << 16) | scale) + 4
                let (pa, sa) = ((a - 4) >> 16, (a - 4) & 0xffff);
                let (pb, sb) = ((b - 4) >> 16, (b - 4) & 0xffff);
                sa == sb && pb >= pa
            }
            (None, Some(_)) => false,
        },
        ("cidr", "inet") => true,
        _ => false,
    }
}

/// How an `ALTER COLUMN … TYPE` converts the values: `None` when PostgreSQL's own assignment cast
/// does it (no `USING`: a binary-compatible change then neither rewrites nor scans), `Some(using)`
/// when it needs an explicit one, `Err(why)` when there is no cast at all (a person writes it).
fn conversion(
    old: &Column,
    new: &Column,
    enums: &[QualifiedName],
) -> Result<Option<String>, String> {
    if binary_compatible(old, new) {
        return Ok(None);
    }
    let array = |c: &Column| c.type_name.ends_with("[]");
    let base = |c: &Column| c.type_name.trim_end_matches("[]").to_owned();
    const NUMBERS: &[&str] = &[
        "smallint",
        "integer",
        "bigint",
        "numeric",
        "real",
        "double precision",
    ];
    const STRINGS: &[&str] = &["text", "character varying", "character", "name"];
    const TIMES: &[&str] = &[
        "date",
        "timestamp without time zone",
        "timestamp with time zone",
    ];
    let is_enum = |c: &Column| {
        super::enums::parse_type_name(&base(c)).is_some_and(|(name, _)| enums.contains(&name))
    };
    let (o, n) = (base(old), base(new));
    if array(old) == array(new) {
        let family = |list: &[&str]| list.contains(&o.as_str()) && list.contains(&n.as_str());
        // Assignment casts: among numbers, among times, and to any string type.
        if family(NUMBERS) || family(TIMES) || STRINGS.contains(&n.as_str()) {
            return Ok(None);
        }
    }
    let col = quote_ident(&new.name);
    if is_enum(old) || is_enum(new) {
        // An enum converts only from and to text (and another enum through text).
        if STRINGS.contains(&o.as_str()) || STRINGS.contains(&n.as_str()) {
            return Ok(Some(format!("{col}::{}", new.data_type)));
        }
        if is_enum(old) && is_enum(new) && array(old) == array(new) {
            let via = if array(old) { "text[]" } else { "text" };
            return Ok(Some(format!("{col}::{via}::{}", new.data_type)));
        }
        return Err(format!(
            "PostgreSQL has no cast from {} to {}",
            old.data_type, new.data_type
        ));
    }
    Ok(Some(format!("{col}::{}", new.data_type)))
}

/// What a table's parents (partition parent, inheritance parents) do to a column: ALTER TABLE
/// on a parent reaches its partitions and children, so their copies of the change are left out.
struct Inherited<'a> {
    /// The parents on both sides, as `(old, new)`.
    parents: Vec<(&'a Table, &'a Table)>,
    partition: bool,
}

impl Inherited<'_> {
    fn column<'t>(t: &'t Table, name: &str) -> Option<&'t Column> {
        t.columns.iter().find(|c| c.name == name)
    }

    /// A parent adds (`adds`) or drops the column, and the table does not declare it itself.
    fn by_parent(&self, c: &Column, adds: bool) -> bool {
        (self.partition || c.inherited)
            && self.parents.iter().any(|(po, pn)| {
                let (before, after) = (
                    Self::column(po, &c.name).is_some(),
                    Self::column(pn, &c.name).is_some(),
                );
                if adds {
                    !before && after
                } else {
                    before && !after
                }
            })
    }

    /// A parent makes the same change to the column (`field` of the old and new column).
    fn same<T: PartialEq>(&self, o: &Column, n: &Column, field: impl Fn(&Column) -> T) -> bool {
        self.parents.iter().any(|(po, pn)| {
            match (Self::column(po, &o.name), Self::column(pn, &n.name)) {
                (Some(a), Some(z)) => {
                    field(a) == field(o) && field(z) == field(n) && field(a) != field(z)
                }
                _ => false,
            }
        })
    }
}

pub(super) fn columns(from: &Schema, to: &Schema, old: &Table, new: &Table, b: &mut Builder) {
    let name = &new.name;
    let key = table_ref(name);
    let depth = b.depth(name);
    let old_parents = parents(old);
    let inherited = Inherited {
        parents: parents(new)
            .into_iter()
            .filter(|p| old_parents.contains(p))
            .filter_map(|p| Some((from.table(p)?, to.table(p)?)))
            .collect(),
        partition: new.partition_of.is_some(),
    };
    let find = |t: &Table, n: &str| t.columns.iter().find(|c| c.name == n).cloned();
    let dropped: Vec<&Column> = old
        .columns
        .iter()
        .filter(|c| find(new, &c.name).is_none())
        .collect();
    let added: Vec<&Column> = new
        .columns
        .iter()
        .filter(|c| find(old, &c.name).is_none())
        .collect();
    let col = |kind, column: &str, up: Vec<String>, down: Vec<String>| {
        let mut c = change(kind, key.clone(), up, down);
        c.column = Some(column.to_owned());
        c
    };
    let alter = |c: &str| format!("ALTER TABLE {name} ALTER COLUMN {}", quote_ident(c));
    for c in dropped.iter().filter(|c| !inherited.by_parent(c, false)) {
        let mut ch = col(
            ChangeKind::DropColumn,
            &c.name,
            vec![format!(
                "ALTER TABLE {name} DROP COLUMN {};",
                quote_ident(&c.name)
            )],
            std::iter::once(format!("ALTER TABLE {name} ADD COLUMN {};", column_sql(c)))
                .chain(owned_sequences(from, name, Some(&c.name)))
                .collect(),
        );
        ch.hazards.push(hazard(
            HazardId::DataLoss,
            format!(
                "column {}.{} is dropped with its values",
                name,
                quote_ident(&c.name)
            ),
        ));
        ch.destructive = true;
        if let Some(a) = added.iter().find(|a| a.data_type == c.data_type) {
            ch.hazards.push(hazard(
                HazardId::PossibleRename,
                format!(
                    "{} dropped and {} added with the same type: a rename? (--rename {}.{}={})",
                    quote_ident(&c.name),
                    quote_ident(&a.name),
                    name.name,
                    c.name,
                    a.name
                ),
            ));
        }
        b.push_at(Phase::DropColumn, depth, ch);
    }
    for c in added.iter().filter(|c| !inherited.by_parent(c, true)) {
        let mut ch = col(
            ChangeKind::AddColumn,
            &c.name,
            vec![format!("ALTER TABLE {name} ADD COLUMN {};", column_sql(c))],
            vec![format!(
                "ALTER TABLE {name} DROP COLUMN {};",
                quote_ident(&c.name)
            )],
        );
        // Every existing row needs its own value: PostgreSQL rewrites the table (as lint's
        // add-serial-or-identity and volatile-default say).
        let rewrite = if c.identity.is_some() {
            Some("an identity column".to_owned())
        } else if c.generated.is_some() {
            Some("a stored generated column".to_owned())
        } else {
            c.default
                .as_deref()
                .and_then(strata_core::sql::volatile_call)
                .map(|f| format!("a default calling {f}(), which is not known to be stable"))
        };
        if let Some(why) = rewrite {
            ch.hazards.push(hazard(
                HazardId::TableRewrite,
                format!(
                    "{}.{}: adding {why} computes it for every existing row, rewriting the table under an ACCESS EXCLUSIVE lock",
                    name,
                    quote_ident(&c.name)
                ),
            ));
        }
        if c.not_null && c.default.is_none() && c.identity.is_none() && c.generated.is_none() {
            ch.hazards.push(hazard(
                HazardId::NotNullBackfill,
                format!("{}.{} is NOT NULL without a default: fails on a non-empty table; add it nullable, backfill, then SET NOT NULL", name, quote_ident(&c.name)),
            ));
        }
        if let Some(d) = dropped.iter().find(|d| d.data_type == c.data_type) {
            ch.hazards.push(hazard(
                HazardId::PossibleRename,
                format!(
                    "{} added and {} dropped with the same type: a rename?",
                    quote_ident(&c.name),
                    quote_ident(&d.name)
                ),
            ));
        }
        b.push_at(Phase::AlterColumn, depth, ch);
    }
    for o in &old.columns {
        let Some(n) = find(new, &o.name) else {
            continue;
        };
        let c = &o.name;
        let kind_of_type = |x: &Column| (x.data_type.clone(), x.collation.clone());
        let type_changes =
            kind_of_type(o) != kind_of_type(&n) && !inherited.same(o, &n, kind_of_type);
        let defaults = if inherited.same(o, &n, |x| x.default.clone()) {
            (&None, &None)
        } else {
            (&o.default, &n.default)
        };
        // Default: dropped before a type change, set after it.
        // Only dropped when there is none after, or the type changes (a new default is set
        // directly).
        if let (Some(d), after) = defaults {
            if after.is_none() || type_changes {
                b.push_at(
                    Phase::AlterColumn,
                    depth,
                    col(
                        ChangeKind::DropDefault,
                        c,
                        vec![format!("{} DROP DEFAULT;", alter(c))],
                        vec![format!("{} SET DEFAULT {d};", alter(c))],
                    ),
                );
            }
        }
        if type_changes {
            let enums: Vec<QualifiedName> = from
                .enums
                .iter()
                .chain(&to.enums)
                .map(|e| e.name.clone())
                .collect();
            match (conversion(o, &n, &enums), conversion(&n, o, &enums)) {
                (Ok(up), Ok(down)) => {
                    let mut ch = col(
                        ChangeKind::AlterColumnType,
                        c,
                        vec![retype(&alter(c), &n, up.as_deref())],
                        vec![retype(&alter(c), o, down.as_deref())],
                    );
                    if !binary_compatible(o, &n) {
                        ch.hazards.push(hazard(
                            HazardId::TableRewrite,
                            format!(
                                "{}.{}: {} -> {} rewrites the table under an ACCESS EXCLUSIVE lock",
                                name,
                                quote_ident(c),
                                o.data_type,
                                n.data_type
                            ),
                        ));
                    }
                    b.push_at(Phase::AlterColumn, depth, ch);
                }
                (Err(why), _) | (_, Err(why)) => {
                    // No cast: a person writes the conversion; the plan holds the template.
                    let message = format!(
                        "{}.{} changes from {} to {}, and {why}: write the conversion by hand",
                        name,
                        quote_ident(c),
                        o.data_type,
                        n.data_type
                    );
                    let template = format!(
                        "-- {} TYPE {} USING (CASE {} WHEN … THEN … END)::{};",
                        alter(c),
                        n.data_type,
                        quote_ident(c),
                        n.data_type
                    );
                    let mut ch = col(
                        ChangeKind::ManualStep,
                        c,
                        vec![format!("-- manual step: {message}, for example:"), template],
                        vec![format!(
                            "-- manual step: change {}.{} back to {} by hand",
                            name,
                            quote_ident(c),
                            o.data_type
                        )],
                    );
                    ch.hazards.push(hazard(HazardId::ManualStep, message));
                    b.push_at(Phase::AlterColumn, depth, ch);
                }
            }
        }
        if defaults.0 != defaults.1 || (type_changes && defaults.0.is_some()) {
            if let Some(d) = defaults.1 {
                // After a type change the old default was dropped by its own change.
                let down = match defaults.0 {
                    Some(od) if !type_changes => format!("{} SET DEFAULT {od};", alter(c)),
                    _ => format!("{} DROP DEFAULT;", alter(c)),
                };
                b.push_at(
                    Phase::AlterColumn,
                    depth,
                    col(
                        ChangeKind::SetDefault,
                        c,
                        vec![format!("{} SET DEFAULT {d};", alter(c))],
                        vec![down],
                    ),
                );
            }
        }
        // Identity: dropped before NOT NULL is, added after it is set.
        if let (Some(id), None) = (&o.identity, &n.identity) {
            b.push_at(
                Phase::AlterColumn,
                depth,
                col(
                    ChangeKind::DropIdentity,
                    c,
                    vec![format!("{} DROP IDENTITY;", alter(c))],
                    vec![format!("{} ADD {};", alter(c), identity_sql(id))],
                ),
            );
        }
        if let (Some(a), Some(z)) = (&o.identity, &n.identity) {
            if a != z {
                b.push_at(
                    Phase::AlterColumn,
                    depth,
                    col(
                        ChangeKind::AlterIdentity,
                        c,
                        vec![format!("{} {};", alter(c), identity_settings(z))],
                        vec![format!("{} {};", alter(c), identity_settings(a))],
                    ),
                );
            }
        }
        let not_null_inherited = inherited.same(o, &n, |x| x.not_null);
        if o.not_null && !n.not_null && !not_null_inherited {
            let mut dropped = col(
                ChangeKind::DropNotNull,
                c,
                vec![format!("{} DROP NOT NULL;", alter(c))],
                vec![format!("{} SET NOT NULL;", alter(c))],
            );
            // The lint rule drop-not-null names this hazard.
            dropped.hazards.push(hazard(
                HazardId::NullsAllowed,
                format!(
                    "column {} of {} accepts NULL from now on: deploy the readers that handle NULL first",
                    quote_ident(c),
                    new.name
                ),
            ));
            b.push_at(Phase::AlterColumn, depth, dropped);
        }
        if !o.not_null && n.not_null && !not_null_inherited {
            // Safe form: a validated check lets SET NOT NULL skip its full-table scan.
            // The check is added with the plan's other changes; validating it, SET NOT NULL and
            // dropping the check come in the validating migration. Each part's down undoes it.
            let check = quote_ident(&format!("{c}_not_null"));
            let add_check = format!(
                "ALTER TABLE {name} ADD CONSTRAINT {check} CHECK ({} IS NOT NULL) NOT VALID;",
                quote_ident(c)
            );
            let drop_check = format!("ALTER TABLE {name} DROP CONSTRAINT {check};");
            let drop_not_null = format!("{} DROP NOT NULL;", alter(c));
            let early = Part {
                up: vec![add_check.clone()],
                down: vec![drop_check.clone()],
                non_transactional: false,
            };
            let validating = Part {
                up: vec![
                    format!("ALTER TABLE {name} VALIDATE CONSTRAINT {check};"),
                    format!("{} SET NOT NULL;", alter(c)),
                    drop_check,
                ],
                down: vec![drop_not_null.clone(), add_check],
                non_transactional: false,
            };
            let mut ch = col(
                ChangeKind::SetNotNull,
                c,
                early.up.iter().chain(&validating.up).cloned().collect(),
                vec![drop_not_null],
            );
            ch.validation = Some(Validation { early, validating });
            b.push_at(Phase::AlterColumn, depth, ch);
        }
        if let (None, Some(id)) = (&o.identity, &n.identity) {
            let mut ch = col(
                ChangeKind::AddIdentity,
                c,
                vec![format!("{} ADD {};", alter(c), identity_sql(id))],
                vec![format!("{} DROP IDENTITY;", alter(c))],
            );
            // It needs the NOT NULL the validating migration sets.
            ch.after_validation = !o.not_null && n.not_null && !not_null_inherited;
            b.push_at(Phase::AlterColumn, depth, ch);
        }
    }
}

fn retype(alter: &str, c: &Column, using: Option<&str>) -> String {
    let collate = c
        .collation
        .as_ref()
        .map(|x| format!(" COLLATE {x}"))
        .unwrap_or_default();
    let using = using.map(|u| format!(" USING {u}")).unwrap_or_default();
    format!("{alter} TYPE {}{collate}{using};", c.data_type)
}

fn identity_sql(id: &Identity) -> String {
    format!(
        "GENERATED {} AS IDENTITY (SEQUENCE NAME {} {})",
        if id.always { "ALWAYS" } else { "BY DEFAULT" },
        id.sequence,
        render::sequence_options(&id.options)
    )
}

/// `SET GENERATED … SET INCREMENT BY … …`: changes an identity in place, keeping its sequence's
/// current value.
fn identity_settings(id: &Identity) -> String {
    let o = &id.options;
    format!(
        "SET GENERATED {} SET START WITH {} SET INCREMENT BY {} SET MINVALUE {} SET MAXVALUE {} SET CACHE {} SET {}",
        if id.always { "ALWAYS" } else { "BY DEFAULT" },
        o.start,
        o.increment,
        o.min_value,
        o.max_value,
        o.cache,
        if o.cycle { "CYCLE" } else { "NO CYCLE" }
    )
}

#[cfg(test)]
mod tests {
    use crate::diff::fixtures::*;

    #[test]
    fn columns_added_and_dropped() {
        let from = with_tables(vec![table(
            hostile(),
            vec![column("id", "integer"), column("old", "text")],
        )]);
        let mut order = column("order", "text");
        order.not_null = true;
        let mut with_default = column("n", "integer");
        with_default.not_null = true;
        with_default.default = Some("0".into());
        let to = with_tables(vec![table(
            hostile(),
            vec![column("id", "integer"), order, with_default],
        )]);
        let p = plan(&from, &to);
        let drop = only(&p, ChangeKind::DropColumn);
        assert_eq!(hazards(drop), ["data-loss", "possible-rename"]);
        assert_eq!(
            drop.up,
            [r#"ALTER TABLE "a""b"."Mixed Case" DROP COLUMN "old";"#]
        );
        assert_eq!(
            drop.down,
            [r#"ALTER TABLE "a""b"."Mixed Case" ADD COLUMN "old" text;"#]
        );
        let adds: Vec<&Change> = p
            .changes
            .iter()
            .filter(|c| c.kind == ChangeKind::AddColumn)
            .collect();
        assert_eq!(adds.len(), 2);
        assert_eq!(hazards(adds[0]), ["not-null-backfill", "possible-rename"]);
        assert_eq!(
            adds[0].up,
            [r#"ALTER TABLE "a""b"."Mixed Case" ADD COLUMN "order" text NOT NULL;"#]
        );
        assert!(hazards(adds[1]).is_empty(), "a default fills the rows");
        // Drops come before adds; the plan's down undoes in reverse.
        assert_eq!(p.changes[0].kind, ChangeKind::DropColumn);
        assert_eq!(p.down().last().unwrap(), &drop.down[0]);
    }

    #[test]
    fn type_changes_binary_compatible_or_rewrite() {
        let cases = [
            ("character varying(10)", "character varying(20)", false),
            ("character varying(10)", "text", false),
            ("character varying(10)", "character varying", false),
            ("numeric(10,2)", "numeric(12,2)", false),
            ("numeric(10,2)", "numeric", false),
            ("character varying(20)", "character varying(10)", true),
            ("numeric(10,2)", "numeric(12,3)", true),
            ("integer", "bigint", true),
            ("text", "integer", true),
        ];
        for (a, b, rewrite) in cases {
            let from = with_tables(vec![table(hostile(), vec![column("order", a)])]);
            let to = with_tables(vec![table(hostile(), vec![column("order", b)])]);
            let p = plan(&from, &to);
            let c = only(&p, ChangeKind::AlterColumnType);
            assert_eq!(hazards(c) == ["table-rewrite"], rewrite, "{a} -> {b}");
            // Only a rewrite needs (and gets) a USING; the others are PostgreSQL's own cast.
            let expected = match (a, b) {
                ("text", "integer") => format!(r#" TYPE {b} USING "order"::{b};"#),
                _ => format!(" TYPE {b};"),
            };
            assert_eq!(
                c.up,
                [format!(
                    r#"ALTER TABLE "a""b"."Mixed Case" ALTER COLUMN "order"{expected}"#
                )]
            );
        }
    }

    #[test]
    fn set_not_null_goes_through_a_check() {
        let from = with_tables(vec![table(hostile(), vec![column("order", "text")])]);
        let mut c = column("order", "text");
        c.not_null = true;
        c.default = Some("'it''s'::text".into());
        let to = with_tables(vec![table(hostile(), vec![c])]);
        let p = plan(&from, &to);
        let set = only(&p, ChangeKind::SetNotNull);
        assert_eq!(
            set.up,
            [
                r#"ALTER TABLE "a""b"."Mixed Case" ADD CONSTRAINT "order_not_null" CHECK ("order" IS NOT NULL) NOT VALID;"#,
                r#"ALTER TABLE "a""b"."Mixed Case" VALIDATE CONSTRAINT "order_not_null";"#,
                r#"ALTER TABLE "a""b"."Mixed Case" ALTER COLUMN "order" SET NOT NULL;"#,
                r#"ALTER TABLE "a""b"."Mixed Case" DROP CONSTRAINT "order_not_null";"#,
            ]
        );
        assert_eq!(
            set.down,
            [r#"ALTER TABLE "a""b"."Mixed Case" ALTER COLUMN "order" DROP NOT NULL;"#]
        );
        let d = only(&p, ChangeKind::SetDefault);
        assert_eq!(
            d.down,
            [r#"ALTER TABLE "a""b"."Mixed Case" ALTER COLUMN "order" DROP DEFAULT;"#]
        );
        let back = plan(&to, &from);
        only(&back, ChangeKind::DropNotNull);
        only(&back, ChangeKind::DropDefault);
    }
}
