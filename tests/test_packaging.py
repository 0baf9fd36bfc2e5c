"""A built wheel carries everything the app serves and reads (no repository checkout needed)."""

import glob
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_includes_served_assets_and_reference_data(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                    str(tmp_path), str(ROOT)], check=True, capture_output=True, timeout=300)
    names = set(zipfile.ZipFile(glob.glob(str(tmp_path / "*.whl"))[0]).namelist())
    for f in (ROOT / "web").rglob("*"):
        if f.is_file() and f.name != "vendor.sh":
            assert f"standardland/_data/web/{f.relative_to(ROOT / 'web')}" in names, f
    for f in (ROOT / "geodata").rglob("*"):
        if f.is_file() and f.suffix in (".json", ".csv", ".geojson"):
            assert f"standardland/_data/geodata/{f.relative_to(ROOT / 'geodata')}" in names, f
    assert {"standardland/store/migrations/versions/0003_workflow.py", "standardland/examples/project.json",
            "standardland/store/migrations/env.py"} <= names
    # the offline API docs (/docs, /redoc) are served from these; a checkout missing them must fail too
    vendored = {f"standardland/_data/web/static/vendor/{f}" for f in (
        "swagger-ui/swagger-ui-bundle.js", "swagger-ui/swagger-ui.css", "swagger-ui/favicon-32x32.png",
        "swagger-ui/LICENSE", "swagger-ui/NOTICE", "redoc/redoc.standalone.js", "redoc/LICENSE",
        "VERSIONS.md")}
    assert vendored <= names, vendored - names
