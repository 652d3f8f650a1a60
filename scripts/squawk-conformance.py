#!/usr/bin/env python3
"""Squawk conformance: squawk's own rule test cases, run through squawk and strata.

Reads the test modules of a squawk checkout (crates/squawk_linter/src/rules/*.rs), takes each
test's SQL and settings (assume_in_transaction, pg_version), runs the squawk binary and strata on
every case, and reports per shared rule how often the two agree on whether the case is flagged.
Nothing of squawk's is copied into this repository: the cases are read from the checkout given on
the command line, written to a temporary folder, and removed.

    scripts/squawk-conformance.py SQUAWK_CHECKOUT [--strata PATH] [--squawk PATH] [--details FILE]

A case is "flagged" by squawk when squawk reports the rule the test is about, and by strata when
strata reports one of the rules mapped to it below. Without `assume_in_transaction` squawk reads a
file as running outside a transaction; strata is told the same (sqlx's `-- no-transaction` on the
first line), and a plain file otherwise (which runs in one).
"""

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

# squawk rule -> strata rules with the same intent (shared rules). A rule given as (id, text)
# counts only findings whose message holds the text (one strata rule covering two squawk rules).
SHARED = {
    "adding-field-with-default": ["volatile-default", "add-serial-or-identity"],
    "adding-not-nullable-field": ["setting-not-null"],
    "adding-required-field": ["adding-not-null-column"],
    "adding-serial-primary-key-field": ["unique-constraint-directly"],
    "ban-char-field": [("prefer-text", "blank-padded")],
    "ban-concurrent-index-creation-in-transaction": ["concurrently-in-transaction"],
    "ban-drop-column": ["drop-column"],
    "ban-drop-table": ["drop-table"],
    "ban-uncommitted-transaction": [("transaction-control", "never commits")],
    "changing-column-type": ["column-type-change"],
    "constraint-missing-not-valid": ["constraint-without-not-valid"],
    "disallowed-unique-constraint": ["unique-constraint-directly"],
    "prefer-text-field": [("prefer-text", "limit")],
    "prefer-timestamp-tz": ["prefer-timestamptz"],
    "renaming-column": ["rename-column"],
    "renaming-table": ["rename-table"],
    "require-concurrent-index-creation": ["non-concurrent-index"],
    "require-concurrent-index-deletion": ["non-concurrent-drop-index"],
    "transaction-nesting": ["transaction-control"],
    "ban-drop-database": ["drop-database"],
    "ban-drop-not-null": ["drop-not-null"],
    "ban-duplicate-column-assignments": ["duplicate-column-assignment"],
    "ban-truncate-cascade": ["truncate-cascade"],
    "identifier-too-long": ["identifier-too-long"],
    "prefer-identity": ["prefer-identity"],
    "prefer-robust-stmts": ["prefer-robust-stmts"],
    "require-concurrent-partition-detach": ["non-concurrent-detach-partition"],
    "require-concurrent-reindex": ["non-concurrent-reindex"],
    "require-enum-value-ordering": ["enum-value-ordering"],
    "require-table-schema": ["require-table-schema"],
    "ban-create-domain-with-constraint": ["domain-constraint"],
    "ban-alter-domain-with-add-constraint": ["domain-constraint"],
}
# Related but with another scope: measured and shown, not counted in the shared figure.
RELATED = {
    "adding-foreign-key-constraint": ["constraint-without-not-valid", "missing-lock-timeout"],
    "prefer-bigint-over-int": ["prefer-bigint-pk", "prefer-bigint"],
    "prefer-bigint-over-smallint": ["prefer-bigint-pk", "prefer-bigint"],
    "prefer-repack": ["table-rewrite"],
    "require-timeout-settings": ["missing-lock-timeout"],
    "require-lock-timeout": ["missing-lock-timeout"],
}


def matches(mapped, findings):
    """Whether strata's findings ((rule, message) pairs) include one of the mapped rules."""
    for m in mapped:
        rule, text = m if isinstance(m, tuple) else (m, "")
        if any(r == rule and text in msg for r, msg in findings):
            return True
    return False


def label(mapped):
    return ",".join(m[0] if isinstance(m, tuple) else m for m in mapped)


def rule_names(checkout):
    """CamelCase variant -> rule id, from squawk's `Rule::X => "id"` lines."""
    text = open(os.path.join(checkout, "crates/squawk_linter/src/lib.rs")).read()
    return dict(re.findall(r'Rule::(\w+) =>\s*\{?\s*"([a-z0-9-]+)"', text))


def kebab(variant):
    return re.sub(r"(?<!^)(?=[A-Z])", "-", variant).lower()


STRING = re.compile(r'r(#*)"(.*?)"\1|"((?:[^"\\]|\\.)*)"', re.S)


def rust_string(match):
    if match.group(2) is not None:
        return match.group(2)
    return bytes(match.group(3), "utf-8").decode("unicode_escape")


def cases(checkout, names):
    """Yields (rule id, test name, sql, expect_error, assume_in_transaction, pg_version)."""
    folder = os.path.join(checkout, "crates/squawk_linter/src/rules")
    for file in sorted(os.listdir(folder)):
        if not file.endswith(".rs") or file == "mod.rs":
            continue
        text = open(os.path.join(folder, file)).read()
        module = text.find("mod test")
        if module < 0:
            continue
        body = text[module:]
        parts = re.split(r"#\[test\]", body)[1:]
        for part in parts:
            name = re.search(r"fn (\w+)\s*\(", part)
            sql = re.search(r'let sql = (r(#*)".*?"\2|"(?:[^"\\]|\\.)*")\s*;', part, re.S)
            call = re.search(r"\b(lint_ok|lint_errors)(_with)?\s*\(", part)
            if not (name and sql and call):
                continue
            literal = STRING.match(sql.group(1))
            if not literal:
                continue
            rule = re.search(r"Rule::(\w+)", part[call.start():]) or re.search(r"Rule::(\w+)", text)
            rule_id = (names.get(rule.group(1)) or kebab(rule.group(1))) if rule else None
            if not rule_id:
                continue
            version = re.search(r'pg_version:\s*"(\d+)"', part)
            yield (
                rule_id,
                f"{file[:-3]}::{name.group(1)}",
                rust_string(literal),
                call.group(1) == "lint_errors",
                "assume_in_transaction: true" in part,
                version.group(1) if version else None,
            )


# squawk's opt-in rules: its tests turn the rule they test on, so the binary gets them too.
SQUAWK_OPT_IN = ["require-table-schema"]


def run_squawk(squawk, folder, assume_tx, version):
    args = [squawk, "--reporter", "json", "--include=" + ",".join(SQUAWK_OPT_IN)]
    if assume_tx:
        args.append("--assume-in-transaction")
    if version:
        args.append(f"--pg-version={version}")
    files = sorted(f for f in os.listdir(folder) if f.endswith(".sql"))
    out = subprocess.run(args + files, cwd=folder, capture_output=True, text=True)
    flagged = collections.defaultdict(set)
    try:
        for v in json.loads(out.stdout or "[]"):
            flagged[os.path.basename(v["file"])].add(v["rule_name"])
    except ValueError:
        sys.exit(f"squawk did not print JSON: {out.stderr[:500]}")
    return flagged


def run_strata(strata, folder, version):
    with open(os.path.join(folder, "strata.toml"), "w") as f:
        f.write('migrations_dir = "."\n')
        # squawk's opt-in rules are on in its tests: turn strata's on too.
        f.write('\n[lint]\nrequire-table-schema = "on"\nprefer-bigint = "on"\n')
        if version:
            f.write(f"pg_version = {version}\n")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GITHUB_ACTIONS")}
    flagged = collections.defaultdict(set)
    parse_failures = set()
    files = sorted(f for f in os.listdir(folder) if f.endswith(".sql"))
    # One run per file: each case stands alone (and a case that does not parse is only itself).
    for name in files:
        out = subprocess.run([strata, "lint", "--format", "json", name], cwd=folder,
                             capture_output=True, text=True, env=env)
        try:
            report = json.loads(out.stdout)
        except ValueError:
            parse_failures.add(name)
            continue
        if report.get("parse_errors"):
            parse_failures.add(name)
        for f in report.get("findings", []):
            flagged[name].add((f["rule"], f["message"]))
    return flagged, parse_failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("checkout")
    parser.add_argument("--strata", default="target/release/strata")
    parser.add_argument("--squawk", default=shutil.which("squawk") or "squawk")
    parser.add_argument("--details", help="write every case and both results here (JSON)")
    a = parser.parse_args()
    strata = os.path.abspath(a.strata)
    names = rule_names(a.checkout)
    all_cases = list(cases(a.checkout, names))
    groups = collections.defaultdict(list)
    for c in all_cases:
        groups[(c[4], c[5])].append(c)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for g, ((assume_tx, version), members) in enumerate(sorted(groups.items(), key=str)):
            folder = os.path.join(tmp, f"g{g}")
            os.makedirs(folder)
            for i, (rule, test, sql, expect, _, _) in enumerate(members):
                # squawk's own directive turns its transaction assumption off for the file.
                in_tx = assume_tx and "squawk-disable-assume-in-transaction" not in sql
                text = sql if in_tx else "-- no-transaction\n" + sql
                with open(os.path.join(folder, f"{i:04d}.sql"), "w") as f:
                    f.write(text)
            # squawk reads the case as written (without strata's first-line directive).
            squawk_folder = folder + "-squawk"
            os.makedirs(squawk_folder)
            for i, c in enumerate(members):
                with open(os.path.join(squawk_folder, f"{i:04d}.sql"), "w") as f:
                    f.write(c[2])
            sq = run_squawk(a.squawk, squawk_folder, assume_tx, version)
            st, failures = run_strata(strata, folder, version)
            for i, (rule, test, sql, expect, atx, ver) in enumerate(members):
                name = f"{i:04d}.sql"
                mapped = SHARED.get(rule) or RELATED.get(rule) or []
                results.append({
                    "rule": rule, "test": test, "sql": sql.strip(), "expected_error": expect,
                    "assume_in_transaction": atx, "pg_version": ver,
                    "squawk": rule in sq[name],
                    "strata": matches(mapped, st[name]),
                    "strata_rules": sorted({r for r, _ in st[name]}),
                    "strata_parse_error": name in failures,
                })
    print(f"squawk-conformance: {len(results)} test cases from {a.checkout} "
          f"({sum(r['squawk'] == r['expected_error'] for r in results)} where the squawk binary does what its test expects)")
    def report(title, table):
        total = agree = 0
        print(f"\n{title}")
        print(f"  {'squawk rule':46s} {'strata rule(s)':44s} cases agree  rate")
        for rule in sorted(table):
            rs = [r for r in results if r["rule"] == rule]
            if not rs:
                continue
            n = len(rs)
            ok = sum(r["squawk"] == r["strata"] for r in rs)
            total += n
            agree += ok
            print(f"  {rule:46s} {label(table[rule]):44s} {n:5d} {ok:5d} {100.0 * ok / n:5.1f}%")
        if total:
            print(f"  {'all':46s} {'':44s} {total:5d} {agree:5d} {100.0 * agree / total:5.1f}%")
        return total, agree
    shared = report("shared rules (same intent):", SHARED)
    report("related rules (another scope; not in the shared figure):", RELATED)
    other = sorted({r["rule"] for r in results} - set(SHARED) - set(RELATED))
    print(f"\nsquawk rules without a strata counterpart on this branch: {', '.join(other)}")
    # A disagreement is explained when docs/lint.md names its squawk test (`file::test`) in its
    # list of deliberate differences; it still counts as a disagreement in the figure.
    docs = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "lint.md")).read()
    print("\ndisagreements on shared rules:")
    explained = unexplained = 0
    for r in results:
        if r["rule"] in SHARED and r["squawk"] != r["strata"]:
            who = "squawk only" if r["squawk"] else "strata only"
            sql = " ".join(r["sql"].split())
            known = f"`{r['test']}`" in docs
            explained += known
            unexplained += not known
            mark = "explained in docs/lint.md" if known else "NOT EXPLAINED"
            print(f"  [{who}; {mark}] {r['test']}: {sql[:160]}")
    if a.details:
        with open(a.details, "w") as f:
            json.dump(results, f, indent=1)
    total, agree = shared
    rate = 100.0 * agree / max(total, 1)
    print(f"\nsquawk-conformance: shared rules agree on {agree} of {total} cases ({rate:.1f}%); "
          f"of the {total - agree} disagreements, {explained} are deliberate differences docs/lint.md "
          f"explains and {unexplained} are not")
    # Every squawk rule has a line in docs/lint.md ("Compared with squawk"): the strata rule that
    # covers it, or why strata differs.
    missing = sorted(set(names.values()) - {r for r in names.values() if f"`{r}`" in docs})
    print(f"squawk-conformance: squawk rules without a line in docs/lint.md: {', '.join(missing) or 'none'} "
          f"(of {len(set(names.values()))})")
    ok = rate >= 95.0 and unexplained == 0 and not missing
    print(f"squawk-conformance: bar (>= 95.0%, every disagreement explained, every rule listed): {'met' if ok else 'NOT met'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
