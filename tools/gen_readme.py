#!/usr/bin/env python3
"""Generate the add-on's README.rst and static/description/index.html from
its ``readme/`` fragments, as the OCA's ``oca-gen-addon-readme`` does.

The OCA's command lives in OCA/maintainer-tools, which is installed from its
git repository (it is not on PyPI); this is the part of it the project uses,
run with the options of the OCA's repository template
(``--if-source-changed --keep-source-digest``) and the organisation,
repository and branch taken from the manifest (``website``, ``version``):

- fragments ``readme/<NAME>.md`` (the OCA's names and order), converted to
  reStructuredText by pandoc (the PyPI package ``pypandoc_binary``) with the
  OCA's options; images a fragment lists (``![caption](../static/description/x.png)``)
  point to the file in the repository, as the OCA's do;
- ``tools/gen_readme.rst.jinja``, the OCA's template;
- ``index.html`` rendered by docutils with the OCA's settings; an
  ``index.html`` written by hand (without the generator's mark) is left alone.

``--check`` writes nothing and exits 1 when a generated file is not what the
fragments give (CI). The pre-commit hook runs it without ``--check``.
"""

import argparse
import ast
import hashlib
import os
import re
import sys
import tempfile
from pathlib import Path
from urllib.parse import urljoin

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "gen_readme.rst.jinja"
ADDON = ROOT / "sales_lifecycle"

# name: heading level (oca-gen-addon-readme's FRAGMENTS, in its order)
FRAGMENTS = {
    "DESCRIPTION": 2,
    "CONTEXT": 2,
    "INSTALL": 2,
    "CONFIGURE": 2,
    "USAGE": 2,
    "ROADMAP": 2,
    "DEVELOP": 2,
    "CONTRIBUTORS": 3,
    "CREDITS": 3,
    "HISTORY": 2,
}
PANDOC_FORMAT = "gfm-raw_html-gfm_auto_identifiers"
LICENSE_BADGES = {
    "AGPL-3": ("AGPL--3", "http://www.gnu.org/licenses/agpl-3.0-standalone.html"),
    "LGPL-3": ("LGPL--3", "http://www.gnu.org/licenses/lgpl-3.0-standalone.html"),
    "GPL-3": ("GPL--3", "http://www.gnu.org/licenses/gpl-3.0-standalone.html"),
}
STATUS_BADGES = {
    "mature": ("Mature", "brightgreen"),
    "production/stable": ("Production%2FStable", "green"),
    "beta": ("Beta", "yellow"),
    "alpha": ("Alpha", "red"),
}
# docutils settings of oca-gen-addon-readme (from pypa/readme_renderer)
RST2HTML_SETTINGS = {
    "file_insertion_enabled": False,
    "halt_level": 2,
    "math_output": "MathJax",
    "raw_enabled": False,
    "smart_quotes": True,
    "syntax_highlight": "short",
    "xml_declaration": False,
    "output_encoding": "utf-8",
}
IMAGE_LINE = re.compile(r".*\s*\.\..* (figure|image)::\s+(?P<path>.*?)\s*$")
GENERATED_MARK = b"oca-gen-addon-readme"


def source_digest(addon_dir):
    """sha256 of the manifest and the fragments (names and contents), as the
    OCA's tools/_hash.py computes it."""
    digest = hashlib.sha256()
    paths = ["__manifest__.py"]
    for dirpath, dirnames, filenames in os.walk(addon_dir / "readme"):
        dirnames.sort()
        rel = os.path.relpath(dirpath, addon_dir)
        paths += [
            os.path.join(rel, name) for name in sorted(filenames) if name[0] != "."
        ]
    for rel in paths:
        digest.update(rel.encode())
        digest.update((addon_dir / rel).read_bytes())
    return "sha256:" + digest.hexdigest()


def repository(manifest):
    """(organisation, repository, branch) of the add-on."""
    match = re.match(r"https://github\.com/([^/]+)/([^/]+)", manifest["website"])
    if not match:
        sys.exit(f"the manifest's website is not a GitHub repository: {manifest}")
    return match.group(1), match.group(2), ".".join(manifest["version"].split(".")[:2])


def pandoc_rst(fragment, level):
    import pypandoc

    # the pandoc shipped by pypandoc_binary, whatever else is on the PATH
    included = Path(pypandoc.__file__).parent / "files" / "pandoc"
    if included.exists():
        os.environ.setdefault("PYPANDOC_PANDOC", str(included))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "fragment.rst"
        pypandoc.convert_file(
            str(fragment),
            format=PANDOC_FORMAT,
            to="rst",
            outputfile=str(out),
            extra_args=[f"--shift-heading-level-by={level - 2}"],
            sandbox=True,
        )
        return out.read_text(encoding="utf-8")


def fragment_text(rst, module_url):
    """The fragment with its images pointing to the repository, ending with
    a newline (oca-gen-addon-readme's generate_fragment)."""
    lines = rst.splitlines(keepends=True)
    if not lines:
        return None
    for index, line in enumerate(lines):
        match = IMAGE_LINE.match(line)
        if match and not match.group("path").startswith("http"):
            path = match.group("path")
            lines[index] = line.replace(
                path, urljoin(module_url, path.replace("../", ""))
            )
    text = "".join(lines)
    return text if text.endswith("\n") else text + "\n"


def render_readme(addon_dir, manifest, digest):
    from jinja2 import Template

    org, repo, branch = repository(manifest)
    name = addon_dir.name
    module_url = f"https://raw.githubusercontent.com/{org}/{repo}/{branch}/{name}/"
    fragments = {}
    for fragment, level in FRAGMENTS.items():
        if (addon_dir / "readme" / f"{fragment}.rst").exists():
            sys.exit(f"{fragment}.rst: this project writes its fragments in Markdown")
        path = addon_dir / "readme" / f"{fragment}.md"
        if path.exists():
            text = fragment_text(pandoc_rst(path, level), module_url)
            if text:
                fragments[fragment] = text
    status = manifest.get("development_status", "Beta").lower()
    badges = []
    if status in STATUS_BADGES:
        label, colour = STATUS_BADGES[status]
        badges.append(
            (
                f"https://img.shields.io/badge/maturity-{label}-{colour}.png",
                "https://odoo-community.org/page/development-status",
                label.replace("%2F", "/"),
            )
        )
    if manifest.get("license") in LICENSE_BADGES:
        label, url = LICENSE_BADGES[manifest["license"]]
        badges.append(
            (
                f"https://img.shields.io/badge/license-{label}-blue.png",
                url,
                f"License: {manifest['license']}",
            )
        )
    badges.append(
        (
            "https://img.shields.io/badge/github-{}%2F{}-lightgray.png?logo=github".format(
                org.replace("-", "--"), repo.replace("-", "--")
            ),
            f"https://github.com/{org}/{repo}/tree/{branch}/{name}",
            f"{org}/{repo}",
        )
    )
    authors = [
        a.strip() for a in manifest.get("author", "").split(",") if "(OCA)" not in a
    ]
    template = Template(TEMPLATE.read_text(encoding="utf-8"))
    return template.render(
        addon_name=name,
        authors=authors,
        badges=badges,
        branch=branch,
        fragments=fragments,
        manifest=manifest,
        org_name=org,
        repo_name=repo,
        development_status=status,
        source_digest=digest,
        level3_underline="-",
    )


def render_index(readme_path):
    """index.html from README.rst; docutils fails on any warning."""
    from docutils.core import publish_file
    from docutils.utils import SystemMessage

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "index.html"
        try:
            publish_file(
                source_path=str(readme_path),
                destination_path=str(out),
                writer_name="html4css1",
                settings_overrides=RST2HTML_SETTINGS,
            )
        except SystemMessage as error:
            line = re.search(r":(\d+): ", str(error))
            lines = readme_path.read_text(encoding="utf-8").splitlines()
            at = int(line.group(1)) if line else 0
            context = "\n".join(lines[max(at - 4, 0) : at + 2])
            sys.exit(f"README.rst is not valid reStructuredText: {error}\n{context}")
        html = out.read_bytes()
    # no docutils version in the file, so that it does not change with it
    return re.sub(rb"(<meta.*generator.*Docutils)\s*[\d.]+", rb"\1", html)


def generate(addon_dir=ADDON, check=False):
    """Write (or with ``check`` compare) the generated files; return the
    paths that were not up to date."""
    manifest = ast.literal_eval((addon_dir / "__manifest__.py").read_text())
    readme = addon_dir / "README.rst"
    index = addon_dir / "static" / "description" / "index.html"
    current = readme.read_text(encoding="utf-8") if readme.exists() else ""
    # --keep-source-digest: the digest first written stays, so that manifest
    # changes that do not show in the README change nothing
    kept = re.search(r"!! source digest: (sha256:\w+)", current)
    digest = kept.group(1) if kept else source_digest(addon_dir)
    stale = []
    with tempfile.TemporaryDirectory() as tmp:
        new_readme = Path(tmp) / "README.rst"
        new_readme.write_text(render_readme(addon_dir, manifest, digest), "utf-8")
        new_index = render_index(new_readme)
        if new_readme.read_text(encoding="utf-8") != current:
            stale.append(readme)
            if not check:
                readme.write_text(new_readme.read_text(encoding="utf-8"), "utf-8")
    # an index.html written by hand is left alone
    generated = not index.exists() or GENERATED_MARK in index.read_bytes()
    if (
        generated
        and manifest.get("preloadable", True)
        and (not index.exists() or index.read_bytes() != new_index)
    ):
        stale.append(index)
        if not check:
            index.parent.mkdir(parents=True, exist_ok=True)
            index.write_bytes(new_index)
    return stale


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addon-dir", type=Path, default=ADDON)
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if not up to date"
    )
    args = parser.parse_args(argv)
    stale = generate(args.addon_dir.resolve(), check=args.check)
    for path in stale:
        verb = "is not up to date" if args.check else "regenerated"
        print(f"{os.path.relpath(path)}: {verb}", file=sys.stderr)
    if stale and args.check:
        print("run: python3 tools/gen_readme.py", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
