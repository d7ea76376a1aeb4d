"""How the runners start containers, without starting any: command lines, paths, engine settings, mirrors."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest

from sagemaker_platform.local import Container, LocalModeError, PodmanRunner, ProcessRunner, Workspace, system
from sagemaker_platform.local.aptsources import debian_mirror, parse_deb822, parse_one_line
from sagemaker_platform.local.cli import main as cli_main
from sagemaker_platform.local.cli import parser as cli_parser
from sagemaker_platform.local.dockerfile import read_image_config
from sagemaker_platform.local.images import ImageBuilder, context_digest
from sagemaker_platform.local.podman import PodmanEngine
from sagemaker_platform.local.runners import Launch, rebase
from sagemaker_platform.local.system import require
from sagemaker_platform.local.workspace import default_cache
from sagemaker_platform.platform_containers import platform_containers_root
from tests.local.helpers import ROOT, WORKSPACE


def _launch(tmp_path: Path, container: str, **overrides: object) -> Launch:
    settings: dict[str, object] = {
        "name": "job",
        "container": WORKSPACE.container(container),
        "image": "localhost/x:1",
        "entrypoint": None,
        "arguments": ("train",),
        "tree": tmp_path / "opt-ml",
        "scratch": tmp_path,
        **overrides,
    }
    return Launch(**settings)  # type: ignore[arg-type]


def test_dockerfiles_give_process_mode_the_images_entrypoint_and_workdir() -> None:
    processing = read_image_config(ROOT / "containers" / "processing" / "Dockerfile")
    assert processing.entrypoint == ("process",)
    assert processing.workdir == PurePosixPath("/opt/ml/processing")
    training = read_image_config(ROOT / "containers" / "training" / "Dockerfile")
    assert training.entrypoint == () and training.workdir == PurePosixPath("/opt/ml")


def test_fails_on_a_shell_form_entrypoint(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM x\nENTRYPOINT python3 -m app \\\n  --flag\n")
    with pytest.raises(ValueError, match="must use the exec form"):
        read_image_config(dockerfile)


def test_process_mode_runs_the_bin_program_with_container_paths_moved_onto_the_tree(tmp_path: Path) -> None:
    runner = ProcessRunner(python="/usr/bin/python3")
    launch = _launch(
        tmp_path,
        "processing",
        arguments=("generate", "--output", "/opt/ml/processing/output/raw/r.csv", "--x=/opt/ml/y", "/opt/mlx"),
        environment={"SM_MODEL_DIR": "/opt/ml/model", "OTHER": "/opt/other"},
    )
    argv, workdir = runner.command(launch)
    tree = str(tmp_path / "opt-ml")
    assert argv == [
        "/usr/bin/python3",
        str(ROOT / "containers" / "processing" / "bin" / "process"),
        "generate",
        "--output",
        f"{tree}/processing/output/raw/r.csv",
        f"--x={tree}/y",
        "/opt/mlx",
    ]
    assert workdir == tmp_path / "opt-ml" / "processing"
    env = runner.environment(launch)
    assert env["SM_BASE_DIR"] == tree
    assert env["PYTHONPATH"] == str(ROOT / "containers" / "processing" / "src")
    assert env["SM_MODEL_DIR"] == f"{tree}/model" and env["OTHER"] == "/opt/other"
    assert "SM_BIND_HOST" not in env
    serving = runner.environment(_launch(tmp_path, "inference", arguments=("serve",), port=8123))
    assert serving["SM_BIND_HOST"] == "127.0.0.1" and serving["SAGEMAKER_BIND_TO_PORT"] == "8123"
    assert rebase("/opt/ml", Path("/t")) == "/t"


def test_fails_in_process_mode_without_a_container_folder_or_program(tmp_path: Path) -> None:
    with pytest.raises(LocalModeError, match="use podman mode"):
        ProcessRunner().prepare(Container(image="localhost/x:1"), print)
    with pytest.raises(LocalModeError, match="'nope' is not a program in"):
        ProcessRunner().command(_launch(tmp_path, "training", arguments=("nope",)))


def test_podman_runs_the_image_as_sagemaker_does(tmp_path: Path) -> None:
    runner = PodmanRunner(WORKSPACE)
    isolated = runner.command(_launch(tmp_path, "training", environment={"B": "2", "A": "1"}), "c1")
    tree = str((tmp_path / "opt-ml").resolve())
    assert isolated == [
        "run", "--rm", "--name", "c1", "--hostname", "algo-1", "--pull=never",
        "--volume", f"{tree}:/opt/ml", "--network=none",
        "--env", "A=1", "--env", "B=2",
        "localhost/x:1", "train",
    ]  # fmt: skip
    serving = runner.command(
        _launch(tmp_path, "inference", arguments=("serve",), network_isolation=False, port=9000), "c2"
    )
    assert "--network=none" not in serving
    assert serving[serving.index("--publish") + 1] == "127.0.0.1:9000:8080"
    custom = runner.command(_launch(tmp_path, "processing", entrypoint=("python3", "-m", "x"), arguments=()), "c3")
    assert custom[-3:] == ["--entrypoint", json.dumps(["python3", "-m", "x"]), "localhost/x:1"]


def test_podman_settings_are_rendered_into_the_cache_with_its_storage(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "containers" / "build", tmp_path / "repo" / "containers" / "build")
    workspace = Workspace(tmp_path / "repo", cache=tmp_path / "cache")
    engine = PodmanEngine(workspace)
    engine.write_config()
    env = engine.env()
    containers_conf = Path(env["CONTAINERS_CONF"]).read_text()
    storage_conf = Path(env["CONTAINERS_STORAGE_CONF"]).read_text()
    assert Path(env["CONTAINERS_CONF"]).parent == tmp_path / "cache" / "podman-config"
    assert not (tmp_path / "repo" / ".build").exists()  # nothing written into the checkout
    # The settings measured on the project's machines.
    for setting in (
        'runtime = "runc"',
        'cgroup_manager = "cgroupfs"',
        'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]',
    ):
        assert setting in containers_conf
    assert f'graphroot = "{tmp_path / "cache" / "podman" / "storage"}"' in storage_conf
    assert "@STATE@" not in containers_conf + storage_conf
    engine.write_config()  # unchanged: left alone, and no partial file stays behind
    assert sorted(p.name for p in (tmp_path / "cache" / "podman-config").iterdir()) == [
        "containers.conf",
        "storage.conf",
    ]


def test_the_cache_follows_xdg_cache_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert default_cache() == tmp_path / "home" / ".cache" / "sagemaker-platform"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache() == tmp_path / "xdg" / "sagemaker-platform"
    assert Workspace().cache == tmp_path / "xdg" / "sagemaker-platform"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # invalid by the XDG specification: ignored
    assert default_cache() == tmp_path / "home" / ".cache" / "sagemaker-platform"


def test_without_a_checkout_the_packages_containers_run_and_state_goes_to_the_cache(tmp_path: Path) -> None:
    workspace = Workspace.discover(tmp_path, cache=tmp_path / "cache")
    assert workspace.root is None
    # Here the package is this checkout's source, so its containers are the checkout's (see
    # tests/local/test_installed.py for an installed wheel's).
    assert workspace.containers == platform_containers_root()
    assert workspace.container("training").directory == platform_containers_root() / "training"
    assert workspace.results("train-1") == tmp_path / "cache" / "jobs" / "train-1"
    assert workspace.engine_config == tmp_path / "cache" / "podman-config"
    checkout = Workspace.discover(ROOT / "containers" / "training" / "src")
    assert checkout.root == ROOT and checkout.results("train-1") == ROOT / ".build" / "local" / "train-1"


def test_fails_on_a_root_that_is_not_a_checkout(tmp_path: Path) -> None:
    with pytest.raises(
        LocalModeError, match=r"is not a sagemaker-platform checkout: it has no containers/build/containers.conf"
    ):
        Workspace.checkout(tmp_path)
    result = cli_main(["--root", str(tmp_path), "build"])
    assert result == 2


def test_image_tags_follow_the_build_context(tmp_path: Path) -> None:
    context = tmp_path / "ctx"
    shutil.copytree(ROOT / "tests" / "local" / "netprobe", context)
    first = context_digest(context, "base@sha256:1")
    (context / "bin" / "__pycache__").mkdir()
    (context / "bin" / "__pycache__" / "x.pyc").write_bytes(b"cache")
    assert context_digest(context, "base@sha256:1") == first  # caches are not in the image
    assert context_digest(context, "base@sha256:2") != first
    (context / "bin" / "train").write_text("changed")
    assert context_digest(context, "base@sha256:1") != first


class _Engine:
    """Stands in for PodmanEngine: answers `podman images` with ``tags`` and records every call."""

    def __init__(self, tags: list[str]) -> None:
        self.tags = tags
        self.calls: list[tuple[str, ...]] = []

    def run(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        self.calls.append(args)
        return subprocess.CompletedProcess(
            ["podman", *args], 0, "\n".join(self.tags) if args[0] == "images" else "", ""
        )


def test_older_image_tags_are_dropped_one_name_at_a_time() -> None:
    # An older tag may name the very image just built (only a file the Dockerfile never copies
    # changed): `podman untag IMAGE` alone would remove the new tags with it.
    repository = "localhost/sagemaker-platform/processing"
    engine = _Engine([f"{repository}:new", f"{repository}:old", f"{repository}:local"])
    ImageBuilder(engine, note=print)._untag_older("processing", keep=f"{repository}:new")  # type: ignore[arg-type]
    assert [call for call in engine.calls if call[0] == "untag"] == [
        ("untag", f"{repository}:old", f"{repository}:old")
    ]


DEB822 = """\
Types: deb
# http://snapshot.example/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
"""


def test_the_base_images_mirror_comes_from_the_apt_sources(tmp_path: Path) -> None:
    assert parse_deb822(DEB822)[0].uri == "http://mirror.example/debian"
    assert parse_one_line("deb [arch=amd64 signed-by=/k.gpg] http://m.example/debian bookworm main\n# deb x y\n")[
        0
    ].suites == ("bookworm",)
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list").write_text("deb http://security.example/debian-security bookworm-security main\n")
    (tmp_path / "sources.list.d" / "debian.sources").write_text(DEB822)
    assert debian_mirror("bookworm", tmp_path) == "http://mirror.example/debian"
    with pytest.raises(LocalModeError, match=r"no apt source .* serves Debian trixie"):
        debian_mirror("trixie", tmp_path)


def test_local_mode_imports_only_the_standard_library() -> None:
    # It ships inside the CDK library: no numpy, xgboost or any other third-party import. Its package
    # __init__ uses the library's lazy-export helper, which is standard library only as well, and it
    # finds the shipped containers through platform_containers, likewise.
    library = ROOT / "constructs" / "sagemaker_platform"
    extra = [library / "_lazy.py", library / "platform_containers.py"]
    for module in [*sorted((library / "local").glob("*.py")), *extra]:
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                allowed = name.startswith("sagemaker_platform.local") or name in (
                    "sagemaker_platform._lazy",
                    "sagemaker_platform.platform_containers",
                )
                assert top in sys.stdlib_module_names or allowed, f"{module.name} imports {name}"


def test_fails_on_a_missing_tool_naming_the_package_to_install() -> None:
    with pytest.raises(
        LocalModeError, match="no-such-tool-here is not installed: apt-get install --no-install-recommends"
    ):
        require("no-such-tool-here")
    assert require("python3").endswith("python3")


class _AptGet:
    """Stands in for apt-get: records calls and "installs" by making the command found."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, command: str) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.installed = False
        real_which = shutil.which
        monkeypatch.setattr(system, "_apt_get", self)
        monkeypatch.setattr(system.os, "geteuid", lambda: 0)

        def which(name: str) -> str | None:
            if name == "apt-get":
                return "/usr/bin/apt-get"
            if name == command:
                return f"/usr/bin/{command}" if self.installed else None
            return real_which(name)

        monkeypatch.setattr(system.shutil, "which", which)

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        self.calls.append(args)
        self.installed = args[0] == "install"
        return subprocess.CompletedProcess(["apt-get", *args], 0, "", "")


def test_nothing_is_installed_unless_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    apt = _AptGet(monkeypatch, "bwrap")
    with pytest.raises(
        LocalModeError,
        match=r"apt-get install --no-install-recommends bubblewrap \(or let local mode install it: --install-missing",
    ):
        require("bwrap")
    assert apt.calls == []
    # The runners and the CLI default to not installing.
    assert ProcessRunner().install_missing is False
    assert PodmanRunner(WORKSPACE).engine.install_missing is False
    args = cli_parser().parse_args(["train"])
    assert args.install_missing is False
    assert cli_parser().parse_args(["--install-missing", "train"]).install_missing is True


def test_installing_when_asked_is_announced_before_apt_get_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    apt = _AptGet(monkeypatch, "bwrap")
    notes: list[str] = []

    def note(message: str) -> None:
        notes.append(f"{message} (apt-get ran {len(apt.calls)} times)")

    assert require("bwrap", install=True, note=note) == "/usr/bin/bwrap"
    assert apt.calls == [("install", "-y", "-qq", "--no-install-recommends", "bubblewrap")]
    assert notes[0] == "bwrap is missing and installing was asked for: apt-get install bubblewrap (apt-get ran 0 times)"
    assert notes[-1].startswith("installed bubblewrap (/usr/bin/bwrap)")
    # Without a note the announcement goes to stderr, never nowhere.
    apt.installed = False
    require("bwrap", install=True)
    assert "sagemaker_platform.local: bwrap is missing and installing was asked for" in capsys.readouterr().err
