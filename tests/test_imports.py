"""Lazy imports: importing the library or running local mode starts no jsii kernel, and every export resolves.

Each package ``__init__`` maps names to modules in one table (``_EXPORTS``) and repeats the imports
under ``if TYPE_CHECKING:`` for type checkers; these tests keep the two in step, check that every
name resolves to its module's object, and that the top level exports every public name of the
construct subpackages. Nothing here asserts a time (``benchmarks/startup.py`` measures them).
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

import sagemaker_platform
from tests.harness import run

LIBRARY = Path(sagemaker_platform.__file__).resolve().parent
#: What starts the jsii kernel (``aws_cdk``, ``cdk_nag``) or needs it (``jsii``, ``constructs``).
JSII_MODULES = ("aws_cdk", "jsii", "constructs", "cdk_nag")
#: The subpackages whose public names the top level exports (local mode is reached as a subpackage).
CONSTRUCT_PACKAGES = (
    "compliance",
    "featurestore",
    "fleet",
    "foundations",
    "jobs",
    "observability",
    "pipelines",
    "serving",
)
PACKAGES = ("sagemaker_platform", *(f"sagemaker_platform.{p}" for p in (*CONSTRUCT_PACKAGES, "local")))


def _python(code: str, *args: str) -> Any:
    """Run ``code`` in a fresh interpreter that imports this checkout; its stdout, parsed as JSON."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(LIBRARY.parent), os.environ.get("PYTHONPATH", "")])}
    result = run([sys.executable, *args, "-c", code], env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _loaded_jsii_modules(statements: str) -> list[str]:
    """The jsii-related modules a fresh interpreter has loaded after ``statements``."""
    code = (
        f"import json, sys\n{statements}\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {JSII_MODULES!r})))"
    )
    loaded: list[str] = _python(code)
    return loaded


def _init_source(package: str) -> ast.Module:
    return ast.parse((LIBRARY.parent / package.replace(".", "/") / "__init__.py").read_text())


def _table(tree: ast.Module) -> dict[str, tuple[str, ...]]:
    """The ``_EXPORTS`` literal of a package ``__init__``."""
    for node in tree.body:
        target = (
            node.target
            if isinstance(node, ast.AnnAssign)
            else (node.targets[0] if isinstance(node, ast.Assign) else None)
        )
        if isinstance(target, ast.Name) and target.id == "_EXPORTS":
            assert node.value is not None
            table: dict[str, tuple[str, ...]] = ast.literal_eval(node.value)
            return table
    raise AssertionError("no _EXPORTS table")


def _type_checking_imports(tree: ast.Module) -> list[tuple[str, str, str | None]]:
    """(module, name, as-name) of every import in the ``if TYPE_CHECKING:`` block."""
    blocks = [
        n for n in tree.body if isinstance(n, ast.If) and isinstance(n.test, ast.Name) and n.test.id == "TYPE_CHECKING"
    ]
    assert len(blocks) == 1, "one `if TYPE_CHECKING:` block"
    imports = []
    for node in blocks[0].body:
        assert isinstance(node, ast.ImportFrom) and node.module, (
            "the TYPE_CHECKING block holds only `from ... import` lines"
        )
        imports += [(node.module, alias.name, alias.asname) for alias in node.names]
    return imports


@pytest.mark.parametrize(
    "statements",
    [
        *(f"import {package}" for package in PACKAGES),
        "import sagemaker_platform; dir(sagemaker_platform); sagemaker_platform.__all__",
        "import sagemaker_platform.local as local\nfor name in local.__all__: getattr(local, name)",
        "import sagemaker_platform.local.cli",
    ],
)
def test_import_starts_no_jsii(statements: str) -> None:
    assert _loaded_jsii_modules(statements) == []


def test_local_cli_help_exits_0_without_jsii() -> None:
    statements = (
        "import contextlib, io\n"
        "from sagemaker_platform.local.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    try:\n"
        "        main(['--help'])\n"
        "    except SystemExit as stop:\n"
        "        assert stop.code == 0, stop.code\n"
        "assert out.getvalue().startswith('usage: '), out.getvalue()"
    )
    assert _loaded_jsii_modules(statements) == []


def test_python_m_local_help_imports_no_jsii() -> None:
    # The command itself, as users run it: -X importtime lists every module it imported on stderr.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(LIBRARY.parent), os.environ.get("PYTHONPATH", "")])}
    result = run([sys.executable, "-X", "importtime", "-m", "sagemaker_platform.local", "--help"], env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: python -m sagemaker_platform.local")
    imported = [
        line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")
    ]
    assert "sagemaker_platform.local.cli" in imported
    assert [m for m in imported if m.split(".")[0] in JSII_MODULES] == []


@pytest.mark.slow  # starts a jsii kernel
def test_realistic_import_loads_only_what_the_name_needs() -> None:
    loaded = _loaded_jsii_modules("from sagemaker_platform import Endpoint")
    assert "aws_cdk.aws_sagemaker" in loaded
    # cdk-nag loads its own assembly: only add_nag_packs needs it.
    assert not [m for m in loaded if m.startswith(("cdk_nag", "aws_cdk.aws_ec2", "aws_cdk.aws_stepfunctions"))]


@pytest.mark.slow  # starts a jsii kernel and imports every module
def test_no_module_calls_into_jsii_at_import() -> None:
    # A call at import (a Duration constant, say) waits for the kernel to load aws-cdk-lib, and every
    # importer pays it: values the kernel makes are made on first use.
    code = """
import importlib, json, pkgutil, traceback
import aws_cdk, cdk_nag, jsii
calls = []
for kind in ("create", "invoke", "sinvoke", "get", "sget", "set", "sset"):
    def spy(*args, _call=getattr(jsii, kind), _kind=kind, **kwargs):
        ours = [f for f in traceback.extract_stack() if "sagemaker_platform" in f.filename]
        calls.append(f"jsii.{_kind} from {ours[-1].filename}:{ours[-1].lineno}" if ours else f"jsii.{_kind}")
        return _call(*args, **kwargs)
    setattr(jsii, kind, spy)
import sagemaker_platform
for module in pkgutil.walk_packages(sagemaker_platform.__path__, "sagemaker_platform."):
    if not module.name.startswith("sagemaker_platform.local"):
        importlib.import_module(module.name)
print(json.dumps(calls))
"""
    assert _python(code) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_every_export_resolves_to_its_modules_object(package: str) -> None:
    module = importlib.import_module(package)
    table = module._EXPORTS
    assert sorted(module.__all__) == module.__all__ == sorted(n for names in table.values() for n in names)
    listed = dir(module)
    for source, names in table.items():
        for name in names:
            assert getattr(module, name) is getattr(importlib.import_module(source), name), f"{package}.{name}"
            assert name in listed


@pytest.mark.parametrize("package", PACKAGES)
def test_type_checking_imports_and_the_table_list_the_same_names(package: str) -> None:
    tree = _init_source(package)
    table = _table(tree)
    imports = _type_checking_imports(tree)
    assert [(m, n, alias) for m, n, alias in imports if alias != n] == [], "write `from module import Name as Name`"
    assert sorted((m, n) for m, n, _alias in imports) == sorted((m, n) for m, names in table.items() for n in names)
    exported = [n for names in table.values() for n in names]
    assert len(exported) == len(set(exported)), "a name in two modules of the table"


@pytest.mark.parametrize("package", PACKAGES)
def test_unknown_names_raise_attribute_error_naming_the_module(package: str) -> None:
    module = importlib.import_module(package)
    with pytest.raises(AttributeError, match=rf"^module '{package}' has no attribute 'NoSuchThing'$"):
        _ = module.NoSuchThing
    with pytest.raises(ImportError, match="NoSuchThing"):
        exec(f"from {package} import NoSuchThing", {})


def test_top_level_exports_every_public_name_of_the_construct_packages() -> None:
    # What a user composing the constructs needs (props, enums, factories such as MonitoredVariant,
    # job specs) comes from one place; a name added to a subpackage's __all__ must be added here too.
    for package in CONSTRUCT_PACKAGES:
        names = importlib.import_module(f"sagemaker_platform.{package}").__all__
        assert sagemaker_platform._EXPORTS[f"sagemaker_platform.{package}"] == tuple(names), package
    assert set(sagemaker_platform._EXPORTS) == {f"sagemaker_platform.{p}" for p in CONSTRUCT_PACKAGES}


def test_top_level_names_are_the_defining_modules_objects() -> None:
    from sagemaker_platform import Endpoint, MonitoredVariant, TrainingJobSpec
    from sagemaker_platform.jobs.training import TrainingJobSpec as Defined
    from sagemaker_platform.observability import endpoint_signals
    from sagemaker_platform.serving import endpoint

    assert Endpoint is sagemaker_platform.serving.Endpoint is endpoint.Endpoint
    assert MonitoredVariant is endpoint_signals.MonitoredVariant
    assert TrainingJobSpec is Defined


def test_subpackages_are_attributes_of_the_top_level() -> None:
    for package in (*CONSTRUCT_PACKAGES, "local"):
        assert getattr(sagemaker_platform, package) is importlib.import_module(f"sagemaker_platform.{package}")
        assert package in dir(sagemaker_platform)
    assert "local" not in sagemaker_platform.__all__, "local mode's names (Channel, ...) are not top-level exports"
