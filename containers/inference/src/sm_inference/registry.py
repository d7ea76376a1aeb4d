"""Multi-model endpoint state shared by all workers through a folder of small JSON entries.

Each worker is its own process, and SageMaker's LoadModel call reaches only one of them, so the
set of loaded models cannot live in a worker's memory. The registry folder is the source of
truth: one file per model, created atomically with ``link`` (which fails if the name exists,
hence 409 for a concurrent duplicate load), removed on unload. Workers cache boosters and check
the entry's identity on each use (one ``stat``), so a model unloaded or reloaded through another
worker is noticed at once.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sm_inference import contract
from sm_inference.errors import BadRequest, Conflict, InsufficientStorage, NotFound
from sm_inference.model import Model, ModelLoadError

MAX_NAME = 1024


@dataclass
class _Cached:
    identity: tuple[int, int]  # (inode, ctime): a re-created entry differs even if the inode is reused
    model: Model


def _identity(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_ino, info.st_ctime_ns


class Registry:
    """Loaded models of a multi-model endpoint, by SageMaker's opaque ``model_name``."""

    def __init__(self, directory: Path, threads: int) -> None:
        self.directory = directory
        self.threads = threads
        self._cache: dict[str, _Cached] = {}

    def _entry(self, name: str) -> Path:
        if not name or len(name) > MAX_NAME or "\x00" in name:
            raise BadRequest(f"model name must be 1 to {MAX_NAME} characters without NUL")
        # Names are opaque and may hold '/', so the file name is a digest of the name.
        return self.directory / (hashlib.sha256(name.encode()).hexdigest() + ".json")

    def load(self, name: str, url: str) -> dict[str, str]:
        """LoadModel: load ``url`` into this worker and publish it to the others."""
        entry = self._entry(name)
        if entry.exists():
            raise Conflict(f"model {name!r} is already loaded", model_name=name)
        try:
            model = Model.load(contract.rebase(url), self.threads)
        except MemoryError:
            raise InsufficientStorage(f"not enough memory to load model {name!r}") from None
        except ModelLoadError as exc:
            raise BadRequest(str(exc), model_name=name) from None
        record = {"modelName": name, "modelUrl": url}
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
        try:
            os.link(tmp, entry)
        except FileExistsError:
            raise Conflict(f"model {name!r} is already loaded", model_name=name) from None
        finally:
            os.unlink(tmp)
        self._cache[name] = _Cached(_identity(entry), model)
        return record

    def get(self, name: str) -> dict[str, str]:
        """GetModel: the entry of one loaded model."""
        try:
            record: dict[str, str] = json.loads(self._entry(name).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise NotFound(f"model {name!r} is not loaded", model_name=name) from None
        return record

    def unload(self, name: str) -> None:
        """UnloadModel: forget the model in every worker."""
        try:
            self._entry(name).unlink()
        except FileNotFoundError:
            raise NotFound(f"model {name!r} is not loaded", model_name=name) from None
        self._cache.pop(name, None)

    def list(self, token: str | None, limit: int) -> dict[str, object]:
        """ListModels, sorted by name, paginated with an offset token."""
        records = []
        for path in self.directory.glob("*.json"):
            try:
                records.append(json.loads(path.read_text(encoding="utf-8")))
            except FileNotFoundError:
                continue  # unloaded while listing
        records.sort(key=lambda r: str(r.get("modelName")))
        start = int(token) if token and token.isdigit() else 0
        page: dict[str, object] = {"models": records[start : start + limit]}
        if start + limit < len(records):
            page["nextPageToken"] = str(start + limit)
        return page

    def model(self, name: str) -> Model:
        """The booster for InvokeModel, loading it into this worker on first use."""
        entry = self._entry(name)
        try:
            identity = _identity(entry)
        except FileNotFoundError:
            self._cache.pop(name, None)
            raise NotFound(f"model {name!r} is not loaded", model_name=name) from None
        cached = self._cache.get(name)
        if cached is not None and cached.identity == identity:
            return cached.model
        url = self.get(name)["modelUrl"]
        try:
            model = Model.load(contract.rebase(url), self.threads)
        except ModelLoadError as exc:
            raise NotFound(f"model {name!r} can no longer be loaded: {exc}") from None
        self._cache[name] = _Cached(identity, model)
        return model
