"""Import a rendered asset tree (superset/assets with the serving DB filled in), overwriting what is there.

``superset import-dashboards`` leaves existing databases, datasets and charts untouched (overwrite=False) and
``import-directory`` uses the examples loader, which logs failures and exits 0. Git is the source of truth
here, so this runs Superset's ImportAssetsCommand, which overwrites every object it is given by UUID and fails
loudly. Usage (Superset venv): python import_assets.py RENDERED_DIR
"""

import sys
from pathlib import Path

from flask import g
from superset.app import create_app

root = Path(sys.argv[1])
contents = {
    p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.yaml"))
}

app = create_app()
with app.app_context():
    import yaml
    from superset import security_manager
    from superset.commands.importers.v1.assets import ImportAssetsCommand

    # An export says type: Dashboard; the assets importer takes any mix of objects.
    metadata = yaml.safe_load(contents["metadata.yaml"])
    metadata.pop("type", None)
    contents["metadata.yaml"] = yaml.safe_dump(metadata)
    g.user = security_manager.find_user(username="admin")
    ImportAssetsCommand(contents).run()
    kinds = [name.split("/", 1)[0] for name in contents if "/" in name]
    print("superset: imported " + ", ".join(f"{kinds.count(k)} {k}" for k in sorted(set(kinds))))
