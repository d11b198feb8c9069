"""The lint is pre-commit with the OCA's hooks, run offline from PyPI installs."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
CONFIG = ROOT / ".pre-commit-config.yaml"


def hooks():
    config = yaml.safe_load(CONFIG.read_text())
    return [(repo, hook) for repo in config["repos"] for hook in repo["hooks"]]


def test_hooks_are_the_oca_tools_and_need_no_network():
    """Every hook is local and runs an installed tool: pre-commit clones no
    hook repository (the machines reach PyPI, not GitHub)."""
    ids = set()
    for repo, hook in hooks():
        assert repo["repo"] == "local", repo["repo"]
        assert hook["language"] == "system", hook["id"]
        command = hook["entry"].split()[0]
        assert shutil.which(command), f"{hook['id']}: {command} is not installed"
        ids.add(hook["id"])
    assert ids == {
        "ruff",
        "ruff-format",
        "pylint_odoo",
        "oca-checks-odoo-module",
        "oca-checks-po",
        "oca-gen-addon-readme",
    }
    entries = {hook["id"]: hook["entry"] for _repo, hook in hooks()}
    assert "--rcfile=.pylintrc" in entries["pylint_odoo"]
    assert "--check" in entries["ruff-format"]


def test_lint_fails_on_a_finding(tmp_path):
    """A finding fails pre-commit (and so tools/lint and tools/test)."""
    for name in (".pre-commit-config.yaml", "ruff.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "module.py").write_text("import os\n")
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_COMMITTER_NAME="t")
    env.update(GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_EMAIL="t@t")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True, env=env)
    subprocess.run(["git", "add", "."], cwd=tmp_path, check=True, env=env)
    run = [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color=never"]
    proc = subprocess.run(
        [*run, "ruff"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "F401" in proc.stdout
    (tmp_path / "module.py").write_text("import os\n\nprint(os.sep)\n")
    proc = subprocess.run(
        [*run, "ruff"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
