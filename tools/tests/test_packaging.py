"""The add-on builds the OCA way: `pip install ./sales_lifecycle` works."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_wheel_puts_addon_where_odoo_finds_it(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path),
            str(ROOT / "sales_lifecycle"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    (wheel,) = tmp_path.glob("odoo_addon_sales_lifecycle-18.0.*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = next(
            archive.read(n).decode() for n in names if n.endswith("/METADATA")
        )
    assert "odoo/addons/sales_lifecycle/__manifest__.py" in names
    assert "odoo/addons/sales_lifecycle/static/description/icon.png" in names
    assert "Requires-Dist: odoo==18.0.*" in metadata
    assert "Requires-Dist: odoo-addon-helpdesk_mgmt==18.0.*" in metadata
