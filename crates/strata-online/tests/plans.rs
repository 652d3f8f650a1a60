//! Without a database: parse errors at their line, validation against a schema built by hand,
//! and snapshots of every operation's expand, contract and abort SQL as `--sql` prints it.

use strata_core::QualifiedName;
use strata_online::{build, parse, validate, Phase, PlanOptions};
use strata_schema::{Column, Constraint, ConstraintKind, Index, Schema, Table};

fn errors(file: &str, text: &str) -> Vec<String> {
    match parse(file, text) {
        Ok(_) => panic!("expected errors"),
        Err(d) => d.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn unknown_operation_type_at_its_line() {
    let e = errors(
        "migrations/20260101000000_x.toml",
        "message = \"x\"\n\n[[operations]]\ntype = \"add_colum\"\ntable = \"users\"\n",
    );
    assert_eq!(
        e,
        vec!["migrations/20260101000000_x.toml:4: unknown operation type `add_colum`\n  hint: did you mean `add_column`? types: create_table, drop_table, rename_table, add_column, drop_column, rename_column, alter_column, create_index, drop_index, raw_sql"]
    );
}

#[test]
fn unknown_fields_at_their_line_with_the_closest_name() {
    let e = errors(
        "m/1_x.toml",
        r#"mesage = "typo"
revises = "a b"

[[operations]]
type = "drop_column"
table = "users"
colum = "name"

[[operations]]
type = "add_column"
table = "users"
column = { name = "x", typ = "int", nullable = "no" }
"#,
    );
    assert_eq!(
        e,
        vec![
            "m/1_x.toml:1: unknown field `mesage` in the migration\n  hint: did you mean `message`? valid fields: `message`, `revises`, `depends_on`, `operations`",
            "m/1_x.toml:5: operation 1 (drop_column) needs `column`",
            "m/1_x.toml:7: unknown field `colum` in operation 1 (drop_column)\n  hint: did you mean `column`? valid fields: `type`, `table`, `column`, `down`",
            "m/1_x.toml:12: `column` needs `type`",
            "m/1_x.toml:12: `nullable` in `column` must be true or false, not a string",
            "m/1_x.toml:12: unknown field `typ` in `column`\n  hint: did you mean `type`? valid fields: `name`, `type`, `nullable`, `default`, `unique`, `references`, `check`",
        ]
    );
}

#[test]
fn other_file_errors() {
    let e = errors("m/1_x.toml", "message = \"x\"\n[[operations]\n");
    assert!(e[0].starts_with("m/1_x.toml:2: invalid TOML"), "{e:?}");
    assert_eq!(
        errors("m/1_x.toml", "message = \"nothing\"\n"),
        vec!["m/1_x.toml: the migration has no operations\n  hint: add `[[operations]]` tables, each with a `type` and a `table`"]
    );
    assert_eq!(
        errors("m/1_x.toml", "[[operations]]\ntable = \"t\"\n"),
        vec!["m/1_x.toml:2: operation 1 has no `type`\n  hint: `type` is one of: create_table, drop_table, rename_table, add_column, drop_column, rename_column, alter_column, create_index, drop_index, raw_sql"]
    );
    assert_eq!(
        errors("m/1_x.toml", "[[operations]]\ntype = \"alter_column\"\ntable = \"t\"\ncolumn = \"c\"\n"),
        vec!["m/1_x.toml:2: operation 1 (alter_column) changes nothing\n  hint: give at least one of `data_type`, `nullable`, `default`, `check`, `unique`, `references`"]
    );
    assert_eq!(
        errors("m/1_x.toml", "[[operations]]\ntype = \"create_index\"\ntable = \"t\"\nname = \"i\"\ncolumns = [\"a\"]\nexpression = \"lower(a)\"\n"),
        vec!["m/1_x.toml:6: `columns` and `expression` are both given\n  hint: an index has either `columns` (names) or an `expression` (SQL)"]
    );
    assert_eq!(
        errors("m/1_x.toml", "[[operations]]\ntype = \"add_column\"\ntable = \"t\"\ncolumn = { name = \"c\", type = \"int\", references = { table = \"u\", column = \"id\", on_delete = \"explode\" } }\n"),
        vec!["m/1_x.toml:4: unknown `on_delete` action `explode`\n  hint: use one of: NO ACTION, RESTRICT, CASCADE, SET NULL, SET DEFAULT"]
    );
}

#[test]
fn header_fields() {
    let m = parse(
        "migrations/20261126090000_rename.toml",
        "message = \"m\"\nrevises = \"a1 b2\"\ndepends_on = [\"c3\"]\n[[operations]]\ntype = \"drop_table\"\ntable = \"app.t\"\n",
    )
    .unwrap();
    assert_eq!(m.id, "20261126090000");
    assert_eq!(m.message.as_deref(), Some("m"));
    assert_eq!(m.revises, vec!["a1", "b2"]);
    assert_eq!(m.depends_on, vec!["c3"]);
    assert_eq!(m.operations[0].line, 5);
    assert_eq!(
        m.operations[0].op.table(),
        Some(&QualifiedName::new(Some("app"), "t"))
    );
}

/// `users (id bigint PK, name text NOT NULL, nickname text, email text + index)`,
/// `accounts (id int PK, balance integer NOT NULL DEFAULT 0, name text)`, `orgs (id int PK)`.
fn schema() -> Schema {
    let q = |n: &str| QualifiedName::new(Some("public"), n);
    let not_null = |mut c: Column| {
        c.not_null = true;
        c
    };
    let mut balance = not_null(Column::new("balance", "integer"));
    balance.default = Some("0".to_owned());
    let pk = |table: &str, column: &str| Constraint {
        table: q(table),
        name: format!("{table}_pkey"),
        kind: ConstraintKind::PrimaryKey,
        definition: format!("PRIMARY KEY ({column})"),
        columns: vec![column.to_owned()],
        validated: true,
        deferrable: false,
        initially_deferred: false,
        no_inherit: false,
        inherited: false,
        foreign_key: None,
        comment: None,
    };
    Schema {
        tables: vec![
            Table::new(
                q("accounts"),
                vec![
                    not_null(Column::new("id", "integer")),
                    balance,
                    Column::new("name", "text"),
                ],
            ),
            Table::new(q("orgs"), vec![not_null(Column::new("id", "integer"))]),
            Table::new(
                q("users"),
                vec![
                    not_null(Column::new("id", "bigint")),
                    not_null(Column::new("name", "text")),
                    Column::new("nickname", "text"),
                    Column::new("email", "text"),
                ],
            ),
        ],
        constraints: vec![pk("accounts", "id"), pk("orgs", "id"), pk("users", "id")],
        indexes: vec![Index {
            name: q("users_email_idx"),
            table: q("users"),
            definition: "CREATE INDEX users_email_idx ON public.users USING btree (email)"
                .to_owned(),
            unique: false,
            method: "btree".to_owned(),
            columns: vec!["email".to_owned()],
            include: Vec::new(),
            predicate: None,
            nulls_not_distinct: false,
            comment: None,
        }],
        ..Schema::default()
    }
}

/// The three phases of a one-file migration, as printed.
fn plan(id: &str, text: &str) -> String {
    let m = parse(&format!("migrations/{id}_x.toml"), text).unwrap();
    let schema = schema();
    let problems = validate(&m, &schema, "public");
    assert!(problems.is_empty(), "{problems:?}");
    let p = build(&m, &schema, &PlanOptions::default());
    format!(
        "{}\n{}\n{}",
        p.render(Phase::Expand),
        p.render(Phase::Contract),
        p.render(Phase::Abort)
    )
}

#[test]
fn plan_create_table() {
    insta::assert_snapshot!(plan(
        "p1",
        r#"[[operations]]
type = "create_table"
table = "posts"
columns = [
  { name = "id", type = "bigserial", primary_key = true },
  { name = "org_id", type = "int", nullable = false, references = { table = "orgs", column = "id", on_delete = "set_null" } },
  { name = "title", type = "text", default = "''", unique = true, check = { name = "title_length", expression = "length(title) < 100" } },
]"#
    ));
}

#[test]
fn plan_drop_table() {
    insta::assert_snapshot!(plan(
        "p2",
        "[[operations]]\ntype = \"drop_table\"\ntable = \"orgs\"\n"
    ));
}

#[test]
fn plan_rename_table() {
    insta::assert_snapshot!(plan(
        "p3",
        "[[operations]]\ntype = \"rename_table\"\ntable = \"orgs\"\nto = \"organisations\"\n"
    ));
}

#[test]
fn plan_add_column() {
    insta::assert_snapshot!(plan(
        "p4",
        r#"[[operations]]
type = "add_column"
table = "users"
column = { name = "org_id", type = "int", nullable = false, unique = true, references = { table = "orgs", column = "id" }, check = "org_id > 0" }
up = "1"
"#
    ));
}

#[test]
fn plan_drop_column() {
    insta::assert_snapshot!(plan(
        "p5",
        "[[operations]]\ntype = \"drop_column\"\ntable = \"users\"\ncolumn = \"nickname\"\ndown = \"lower(name)\"\n"
    ));
}

#[test]
fn plan_rename_column() {
    insta::assert_snapshot!(plan(
        "p6",
        "[[operations]]\ntype = \"rename_column\"\ntable = \"users\"\nfrom = \"name\"\nto = \"full_name\"\n"
    ));
}

#[test]
fn plan_alter_column() {
    insta::assert_snapshot!(plan(
        "p7",
        r#"[[operations]]
type = "alter_column"
table = "accounts"
column = "balance"
data_type = "bigint"
check = { name = "balance_not_negative", expression = "balance >= 0" }
unique = { name = "accounts_balance_key" }
references = { name = "accounts_balance_fkey", table = "orgs", column = "id" }
up = "greatest(balance, 0)::bigint"
down = "balance::integer"
"#
    ));
}

#[test]
fn plan_create_index() {
    insta::assert_snapshot!(plan(
        "p8",
        "[[operations]]\ntype = \"create_index\"\ntable = \"users\"\nname = \"users_lower_name_idx\"\nexpression = \"lower(name)\"\nunique = true\nmethod = \"btree\"\nwhere = \"nickname IS NOT NULL\"\n"
    ));
}

#[test]
fn plan_drop_index() {
    insta::assert_snapshot!(plan(
        "p9",
        "[[operations]]\ntype = \"drop_index\"\ntable = \"users\"\nname = \"users_email_idx\"\n"
    ));
}

#[test]
fn plan_raw_sql() {
    insta::assert_snapshot!(plan(
        "p10",
        "[[operations]]\ntype = \"raw_sql\"\nup = \"CREATE TABLE audit (id int)\"\ndown = \"DROP TABLE audit\"\n"
    ));
}

#[test]
fn plan_spec_example() {
    insta::assert_snapshot!(plan(
        "b2",
        r#"message = "accounts: bigint balance, name -> full_name"
revises = "b1"

[[operations]]
type = "alter_column"
table = "accounts"
column = "balance"
data_type = "bigint"
up = "balance::bigint"
down = "balance::integer"

[[operations]]
type = "rename_column"
table = "accounts"
from = "name"
to = "full_name"
"#
    ));
}

#[test]
fn validation_against_a_schema() {
    let check = |text: &str| -> Vec<String> {
        let m = parse("m/1_x.toml", text).unwrap();
        validate(&m, &schema(), "public")
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    assert_eq!(
        check("[[operations]]\ntype = \"drop_column\"\ntable = \"users\"\ncolumn = \"name\"\n"),
        vec!["m/1_x.toml:4: column `name` is NOT NULL without a default: rows new clients insert would fail\n  hint: add `down = \"<expression over the new row>\"` to fill it for old clients"]
    );
    assert_eq!(
        check("[[operations]]\ntype = \"alter_column\"\ntable = \"users\"\ncolumn = \"email\"\nnullable = false\n"),
        vec!["m/1_x.toml:4: column `email` is used by index `users_email_idx`, which complete would lose with the old column\n  hint: drop them in an earlier migration and re-create them on the new column (create_index, or `check`/`unique`/`references` here)"]
    );
    assert_eq!(
        check("[[operations]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"n\", type = \"int\", nullable = false }\n"),
        vec!["m/1_x.toml:4: NOT NULL column `n` needs `up` or a `default` to fill existing rows\n  hint: add `up = \"<expression over the row>\"`, or `default`, or make it nullable"]
    );
    assert_eq!(
        check("[[operations]]\ntype = \"rename_table\"\ntable = \"orgs\"\nto = \"accounts\"\n\n[[operations]]\ntype = \"drop_index\"\ntable = \"orgs\"\nname = \"nope\"\n"),
        vec![
            "m/1_x.toml:4: table public.accounts already exists",
            "m/1_x.toml:8: table public.orgs is renamed by an earlier operation of this migration\n  hint: use one migration per change of a renamed or dropped table",
        ]
    );
    assert_eq!(
        check("[[operations]]\ntype = \"rename_column\"\ntable = \"users\"\nfrom = \"name\"\nto = \"n\"\n\n[[operations]]\ntype = \"drop_column\"\ntable = \"users\"\ncolumn = \"n\"\ndown = \"1\"\n"),
        vec!["m/1_x.toml:10: column `n` of public.users is already changed by operation 1\n  hint: change a column once per migration; start another migration for the next change"]
    );
}
