"""Generate ``sagemaker_platform/serving/builtin_images.json`` from the SageMaker SDK's bundled data.

Run: ``.venv/bin/python tests/tools/generate_builtin_images.py`` (offline; needs ``sagemaker-core``).
``tests/test_builtin_images.py`` compares the checked-in file with the installed SDK, so the table
cannot drift silently when the SDK pin moves.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[2] / "constructs" / "sagemaker_platform" / "serving" / "builtin_images.json"

#: (framework, version, image_scope) the library offers as built-in images.
IMAGES = [
    ("xgboost", "1.7-1", "inference"),
    ("sklearn", "1.2-1", "inference"),
    ("model-monitor", None, None),
]
_URI = re.compile(
    r"(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.(?P<domain>[a-z.]+)/(?P<repo>[^:]+)(:(?P<tag>.+))?"
)


def _regions(framework: str) -> list[str]:
    from sagemaker.core import image_uris

    config = image_uris.config_for_framework(framework)
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "registries" in node:
                found.update(node["registries"])
            for value in node.values():
                walk(value)

    walk(config)
    return sorted(found)


def collect() -> dict[str, Any]:
    """Region -> account tables for every image in ``IMAGES``, as the SDK resolves them."""
    from sagemaker.core import image_uris

    table: dict[str, Any] = {}
    for framework, version, scope in IMAGES:
        accounts: dict[str, str] = {}
        repo = tag = None
        for region in _regions(framework):
            kwargs: dict[str, Any] = {"region": region}
            if version:
                kwargs["version"] = version
            if scope:
                kwargs["image_scope"] = scope
            try:
                uri = image_uris.retrieve(framework, **kwargs)
            except ValueError:
                continue  # this version is not offered in this region
            match = _URI.fullmatch(uri)
            if not match or match["region"] != region:
                continue
            accounts[region] = match["account"]
            repo, tag = match["repo"], match["tag"]
        key = f"{framework}:{version}" if version else framework
        table[key] = {"repository": repo, "tag": tag, "accounts": dict(sorted(accounts.items()))}
    return table


def main() -> int:
    OUT.write_text(json.dumps(collect(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
