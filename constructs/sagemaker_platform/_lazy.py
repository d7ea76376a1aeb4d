"""Lazy exports for the packages' ``__init__`` modules (PEP 562), so that importing one starts no jsii kernel.

Every ``__init__`` holds one table, ``_EXPORTS``: module -> the names the package exports from it.
:func:`exports` turns it into the package's ``__all__``, ``__getattr__`` and ``__dir__``; a name's
module is imported on first access (``from sagemaker_platform import Endpoint`` imports
``sagemaker_platform.serving.endpoint`` and what it needs, not the whole library). The same
``__init__`` repeats the imports under ``if TYPE_CHECKING:`` as ``from module import Name as Name``,
so type checkers and IDEs see real names and types; ``tests/test_imports.py`` checks that the block
and the table list the same names.

Standard library only: this module is imported by every package, local mode's included.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

#: What :func:`exports` gives a package: its ``__all__``, ``__getattr__`` and ``__dir__``.
Exports = tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]


def exports(package: str, table: Mapping[str, Iterable[str]], submodules: Iterable[str] = ()) -> Exports:
    """``__all__``, ``__getattr__`` and ``__dir__`` for ``package`` from its ``module -> names`` table.

    ``__all__`` is every name of the table, sorted. ``__getattr__`` imports a name's module on first
    access and keeps the value in the package's namespace, so later lookups skip it. The package's
    direct children among the table's modules, and ``submodules`` besides them (``"local"``), are
    imported on attribute access too, as if imported explicitly (``sagemaker_platform.serving``).
    Any other name raises ``AttributeError`` naming the package and the name.
    """
    where = {name: module for module, names in table.items() for name in names}
    prefix = package + "."
    named = {module.removeprefix(prefix) for module in table if module.startswith(prefix)}
    children = frozenset({*(child for child in named if "." not in child), *submodules})

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is not None:
            value = getattr(importlib.import_module(module), name)
            setattr(sys.modules[package], name, value)
            return value
        if name in children:
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where, *children})

    return sorted(where), __getattr__, __dir__
