"""The mutation check's list stays in step with the code it mutates."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import slmutate

# the rules the suite must guard (issue 11): each has a mutation
RULES = {
    "conversion-gate",
    "stage-gate",
    "frozen-quotation",
    "price-approval",
    "expiry",
    "exactly-once-invoice",
    "exactly-once-lock",
    "conformity",
    "won-on-payment",
    "won-on-payment-draft",
    "agreement-once",
    "entitlement-block",
    "sla-breach",
    "draft-guard",
    "partial-payment",
    "swot-complete-gate",
    "read-only-views",
}


def test_every_mutation_applies_to_todays_code():
    """A mutation whose snippet is gone would be silently skipped: when the
    code of a rule changes, tools/mutations.toml changes with it."""
    problems = {
        entry["id"]: slmutate.problem(entry) for entry in slmutate.load_mutations()
    }
    assert {key: value for key, value in problems.items() if value} == {}


def test_every_rule_has_a_mutation():
    ids = {entry["id"] for entry in slmutate.load_mutations()}
    assert RULES <= ids, sorted(RULES - ids)


def test_problem_names_a_stale_snippet(tmp_path):
    (tmp_path / "rule.py").write_text("if a < b:\n    pass\n")
    (tmp_path / "test_rule.py").write_text("")
    entry = {
        "id": "x",
        "file": "rule.py",
        "original": "if a <= b:\n",
        "mutated": "if a > b:\n",
        "tests": ["test_rule.py"],
    }
    assert "found 0 times" in slmutate.problem(entry, root=tmp_path)
    entry["original"] = "if a < b:\n"
    assert slmutate.problem(entry, root=tmp_path) is None
    entry["mutated"] = "if a >\n"
    assert "does not compile" in slmutate.problem(entry, root=tmp_path)


def test_report_lists_what_survived():
    results = [
        {"id": "a", "rule": "Rule A", "status": "killed", "detail": "t", "seconds": 3},
        {"id": "b", "rule": "Rule B", "status": "SURVIVED", "detail": "", "seconds": 4},
    ]
    report = slmutate.format_report(results, "db", 0)
    assert "killed 1 of 2" in report
    assert "  b: Rule B — SURVIVED" in report


def test_an_equivalent_mutant_is_not_a_gap():
    results = [
        {"id": "a", "rule": "Rule A", "status": "killed", "detail": "t", "seconds": 3},
        {
            "id": "b",
            "rule": "Rule B",
            "status": "EQUIVALENT",
            "detail": "the lock is implied",
            "seconds": 4,
        },
    ]
    report = slmutate.format_report(results, "db", 0)
    assert "killed 1 of 2, 1 equivalent" in report
    assert "every mutation was noticed" in report
    assert "the lock is implied" in report
