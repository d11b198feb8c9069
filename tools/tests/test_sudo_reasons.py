"""Every ``sudo()`` of the add-on says why, on its own line.

The module's rule is that ``sudo()`` only acts on records the caller may
already act on, or that the call itself created; the comment on the line of
each call names which. This lists the calls of the add-on's code (tests
aside) and fails on any without a comment of a few words.
"""

import io
import tokenize
from pathlib import Path

ADDON = Path(__file__).resolve().parent.parent.parent / "sales_lifecycle"
MIN_WORDS = 3


def sudo_calls(source):
    """``[(line number, comment or None)]`` of each ``.sudo(`` in ``source``."""
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    comments = {
        token.start[0]: token.string.lstrip("#").strip()
        for token in tokens
        if token.type == tokenize.COMMENT
    }
    calls = []
    for index, token in enumerate(tokens[1:-1], start=1):
        if (
            token.type == tokenize.NAME
            and token.string == "sudo"
            and tokens[index - 1].string == "."
            and tokens[index + 1].string == "("
        ):
            line = token.start[0]
            calls.append((line, comments.get(line)))
    return calls


def unexplained_sudo_calls(root=ADDON):
    problems = []
    for path in sorted(root.rglob("*.py")):
        if "tests" in path.relative_to(root).parts:
            continue
        for line, comment in sudo_calls(path.read_text(encoding="utf-8")):
            if not comment or len(comment.split()) < MIN_WORDS:
                problems.append(f"{path.relative_to(root.parent)}:{line}")
    return problems


def test_sudo_calls_are_listed_with_their_reason():
    calls = [
        (path, line, comment)
        for path in sorted(ADDON.rglob("*.py"))
        if "tests" not in path.relative_to(ADDON).parts
        for line, comment in sudo_calls(path.read_text(encoding="utf-8"))
    ]
    # the add-on uses sudo(); an empty list would mean the scan is broken
    assert calls
    assert unexplained_sudo_calls() == [], (
        "sudo() calls without a reason comment on their line (say which "
        "records the caller may already act on, or that the call created)"
    )


def test_scan_finds_a_sudo_without_reason(tmp_path):
    addon = tmp_path / "sales_lifecycle"
    (addon / "models").mkdir(parents=True)
    (addon / "models" / "x.py").write_text(
        "a = records.sudo()  # records the caller created above\n"
        "b = (\n"
        "    records\n"
        "    .sudo()\n"
        "    .search([])\n"
        ")\n"
        "c = records.sudo()  # ok\n"
        "d = 'records.sudo()'\n",
        encoding="utf-8",
    )
    (addon / "tests").mkdir()
    (addon / "tests" / "test_x.py").write_text("records.sudo()\n", encoding="utf-8")
    assert unexplained_sudo_calls(addon) == [
        "sales_lifecycle/models/x.py:4",
        "sales_lifecycle/models/x.py:7",
    ]
