"""image/base takes Debian's archive from this machine's apt sources (image/debian-sources):
apt's own reading of sources.list and sources.list.d, one-line and deb822 alike, never a
hard-coded address. Each case gives apt a private configuration (``APT_CONFIG``) in a
temporary folder; the machine's own sources are never touched."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, unavailable

SOURCES = REPO / "image" / "debian-sources"
CORP = "http://mirror.corp.example/debian"
CORP_SECURITY = "http://mirror.corp.example/debian-security"
WANTED = [f"deb {CORP} bookworm main", f"deb {CORP_SECURITY} bookworm-security main"]
NODESOURCE = "deb [arch=amd64] https://deb.nodesource.com/node_20.x nodistro main\n"


@pytest.fixture
def apt(tmp_path: Path) -> Path:
    """A private apt configuration: its own sources.list, sources.list.d and lists."""
    if shutil.which("apt-get") is None:
        unavailable("apt-get is not installed (image/base needs a Debian-like machine)")
    for folder in ("sources.list.d", "lists/partial"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "apt.conf").write_text(
        f'Dir::Etc::sourcelist "{tmp_path}/sources.list";\n'
        f'Dir::Etc::sourceparts "{tmp_path}/sources.list.d";\n'
        f'Dir::State::lists "{tmp_path}/lists";\n')
    (tmp_path / "os-release").write_text("ID=debian\nVERSION_CODENAME=bookworm\n")
    return tmp_path


def run(apt: Path, script: Path = SOURCES, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GLOO_HARDEN_DEBIAN")}
    environment.update(APT_CONFIG=str(apt / "apt.conf"),
                       GLOO_HARDEN_OS_RELEASE=str(apt / "os-release"), **env)
    return subprocess.run([str(script), str(apt / "base.tar")], capture_output=True, text=True,
                          env=environment, timeout=120, check=False)


def test_deb822_sources(apt: Path) -> None:
    (apt / "sources.list.d" / "nodesource.sources").write_text(
        "Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\n"
        "Components: main\n")
    (apt / "sources.list.d" / "debian.sources").write_text(
        f"Types: deb\n# a comment\nURIs: {CORP}/\nSuites: bookworm bookworm-updates\n"
        "Components: main contrib\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
        f"Types: deb\nURIs: {CORP_SECURITY}\nSuites: bookworm-security\nComponents: main\n")
    (apt / "sources.list.d" / "old.list.disabled").write_text(
        "deb http://deb.debian.org/debian bookworm main\n")  # apt skips it, and so do we
    done = run(apt)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == WANTED


def test_one_line_list(apt: Path) -> None:
    (apt / "sources.list").write_text(
        NODESOURCE + "# deb http://deb.debian.org/debian bookworm main\n"
        f"deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] {CORP} bookworm main\n"
        f"deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] {CORP} bookworm main\n"
        f"deb {CORP_SECURITY} bookworm-security main contrib\n")
    done = run(apt)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == WANTED


def test_a_mirror_of_this_machines_own_debian_release_serves_bookworm(apt: Path) -> None:
    (apt / "os-release").write_text('ID=debian\nVERSION_CODENAME="trixie"\n')
    (apt / "sources.list.d" / "debian.sources").write_text(
        f"Types: deb\nURIs: {CORP}\nSuites: trixie trixie-updates\nComponents: main\n\n"
        f"Types: deb\nURIs: {CORP_SECURITY}\nSuites: trixie-security\nComponents: main\n")
    done = run(apt)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == WANTED


def test_no_debian_archive_is_one_line_naming_what_to_set(apt: Path) -> None:
    (apt / "os-release").write_text("ID=ubuntu\nVERSION_CODENAME=jammy\n")
    (apt / "sources.list").write_text(
        "deb http://archive.ubuntu.com/ubuntu jammy main\n"
        "deb http://security.ubuntu.com/ubuntu jammy-security main\n")
    done = run(apt)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        "image/debian-sources: apt's sources (apt-get indextargets) hold no deb entry for "
        "bookworm; expected Debian's archive or a mirror of it there, or "
        "GLOO_HARDEN_DEBIAN_MIRROR=URI\n")
    overridden = run(apt, GLOO_HARDEN_DEBIAN_MIRROR=CORP,
                     GLOO_HARDEN_DEBIAN_SECURITY_MIRROR=CORP_SECURITY)
    assert overridden.returncode == 0, overridden.stderr
    assert overridden.stdout.splitlines() == WANTED


def test_unreadable_sources_fail_with_apts_reason(apt: Path) -> None:
    (apt / "sources.list").write_text(f"deb {CORP}\n")  # no suite
    done = run(apt)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith("E: ") and done.stderr.endswith(
        "image/debian-sources: apt-get indextargets cannot read apt's sources (above); "
        "expected sources apt can read\n")


def test_base_gives_mmdebstrap_those_lines(apt: Path, tmp_path: Path) -> None:
    """image/base itself, with a stand-in mmdebstrap that records its arguments."""
    (apt / "sources.list").write_text(NODESOURCE + f"deb {CORP} bookworm main\n"
                                      f"deb {CORP_SECURITY} bookworm-security main\n")
    shim = tmp_path / "bin" / "mmdebstrap"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{tmp_path}/argv"\n')
    shim.chmod(0o755)
    done = run(apt, REPO / "image" / "base", PATH=f"{shim.parent}{os.pathsep}{os.environ['PATH']}")
    assert done.returncode == 0, done.stderr
    argv = (tmp_path / "argv").read_text().splitlines()
    assert argv[-4:] == ["bookworm", str(apt / "base.tar"), *WANTED]
    assert "deb.debian.org" not in (REPO / "image" / "base").read_text()


def test_base_stops_before_mmdebstrap_without_a_debian_archive(apt: Path, tmp_path: Path) -> None:
    (apt / "sources.list").write_text(NODESOURCE)
    shim = tmp_path / "bin" / "mmdebstrap"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\ntouch "{tmp_path}/ran"\n')
    shim.chmod(0o755)
    done = run(apt, REPO / "image" / "base", PATH=f"{shim.parent}{os.pathsep}{os.environ['PATH']}")
    assert done.returncode == 1 and "GLOO_HARDEN_DEBIAN_MIRROR=URI" in done.stderr
    assert not (tmp_path / "ran").exists()
