"""The Debian mirror this machine's apt uses, read from its sources at run time.

The base image is bootstrapped from the same mirror apt already reaches, so no host name is ever
written into the repository. Both formats are read: deb822 ``*.sources`` and one-line ``*.list``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sagemaker_platform.local.errors import LocalModeError

APT_DIR = Path("/etc/apt")


@dataclass(frozen=True)
class Source:
    """One ``deb`` source: its URI and suites."""

    uri: str
    suites: tuple[str, ...]


def parse_deb822(text: str) -> list[Source]:
    """``deb`` entries of a deb822 ``.sources`` file (stanzas separated by blank lines)."""
    sources: list[Source] = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        key = ""
        for line in stanza.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line[0] in " \t" and key:  # continuation line
                fields[key] += " " + line.strip()
                continue
            key, _, value = line.partition(":")
            key = key.strip().lower()
            fields[key] = value.strip()
        if "deb" not in fields.get("types", "").split() or fields.get("enabled", "yes").lower() == "no":
            continue
        suites = tuple(fields.get("suites", "").split())
        sources.extend(Source(uri, suites) for uri in fields.get("uris", "").split())
    return sources


def parse_one_line(text: str) -> list[Source]:
    """``deb`` entries of a one-line ``sources.list`` (``deb [options] URI suite components``)."""
    sources: list[Source] = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words or words[0] != "deb":
            continue
        words = words[1:]
        if words and words[0].startswith("["):
            while words and not words[0].endswith("]"):
                words = words[1:]
            words = words[1:]
        if len(words) >= 2:
            sources.append(Source(words[0], (words[1],)))
    return sources


def read_sources(apt_dir: Path = APT_DIR) -> list[Source]:
    """Every ``deb`` source apt reads, in apt's order."""
    sources: list[Source] = []
    one_line: Iterable[Path] = [apt_dir / "sources.list", *sorted((apt_dir / "sources.list.d").glob("*.list"))]
    for path in one_line:
        if path.is_file():
            sources += parse_one_line(path.read_text(encoding="utf-8", errors="replace"))
    for path in sorted((apt_dir / "sources.list.d").glob("*.sources")):
        sources += parse_deb822(path.read_text(encoding="utf-8", errors="replace"))
    return sources


def debian_mirror(suite: str = "bookworm", apt_dir: Path = APT_DIR) -> str:
    """The URI of the first source that serves ``suite`` itself (not -updates or -security)."""
    for source in read_sources(apt_dir):
        if suite in source.suites and source.uri.startswith(("http://", "https://", "file:/")):
            return source.uri
    raise LocalModeError(f"no apt source in {apt_dir} serves Debian {suite}; pass the mirror explicitly (--mirror)")
