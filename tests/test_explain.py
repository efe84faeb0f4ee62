"""``gloo-harden explain ID`` answers for every id a result can carry: a hardening (built-in or
a profile's), a guard (``Result.guard``, and the SARIF ``ruleId`` of a change it kept back), a
tag (``Result.tag``), besides profiles and releases. The ids are taken from the registries and
from real runs, never listed by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import REPO, corpus_files, run_tool
from gloo_harden.guards import GUARDS
from gloo_harden.outputs import sarif
from gloo_harden.resources import results
from gloo_harden.run import hardenings

EXAMPLE = REPO / "examples" / "pipe" / "gloo-rendered.yaml"
PORT_80 = EXAMPLE.read_text().replace("targetPort: 8080", "targetPort: 80")


def registered() -> set[str]:
    """Every id the registries know a result or a SARIF rule can carry."""
    every = hardenings.builtin() + tuple(h for name in hardenings.profiles()
                                         for h in hardenings.profile(name))
    rules = json.loads(sarif.log([], every, {}))["runs"][0]["tool"]["driver"]["rules"]
    tags = {value for name, value in vars(results).items() if name.isupper()
            and isinstance(value, str) and name not in ("TAGS",)}
    return {h.id for h in every} | set(GUARDS) | tags | {r["id"] for r in rules} | set(
        hardenings.profiles())


def carried(tmp_path: Path) -> set[str]:
    """The ids real runs put in results (JSON) and SARIF ruleIds: the pipe example, the same
    with a port-80 Service (a guard keeps a change back), and every corpus render."""
    port_80 = tmp_path / "port80.yaml"
    port_80.write_text(PORT_80)
    found: set[str] = set()
    for source in [EXAMPLE, port_80, *corpus_files()]:
        done = run_tool("--check", "--results", "-", str(source))
        for result in json.loads(done.stdout):
            found.update(result[key] for key in ("hardening", "guard", "tag") if key in result)
        done = run_tool("--check", "--results-format", "sarif", "--results", "-", str(source))
        found.update(r["ruleId"] for r in json.loads(done.stdout)["runs"][0]["results"])
    return found


def test_the_registries_name_guards_and_tags() -> None:
    ids = registered()
    assert {"no-privileged-ports", "drop-net-bind-service", results.BROKEN,
            results.UNSEEN, "restricted"} <= ids
    tags = {value for name, value in vars(results).items() if name.isupper()
            and isinstance(value, str) and name != "TAGS"}
    assert set(results.TAGS) == tags  # every tag a result can carry is explained


def test_real_runs_carry_only_registered_ids(tmp_path: Path) -> None:
    found = carried(tmp_path)
    assert "no-privileged-ports" in found  # the port-80 Service: a guard's ruleId
    assert found <= registered()


@pytest.mark.parametrize("hid", sorted(registered()))
def test_every_id_is_explained(hid: str) -> None:
    done = run_tool("explain", hid)
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode()
    assert text.startswith(hid) or hid in text.splitlines()[0] or hid in text
    assert len(text.splitlines()) >= 1 and done.stderr == b""


def test_a_guard_says_what_it_keeps_back_and_why() -> None:
    text = run_tool("explain", "no-privileged-ports").stdout.decode()
    assert text.startswith("no-privileged-ports (a guard): keep NET_BIND_SERVICE")
    assert "keeps back: drop-net-bind-service" in text
    for line in GUARDS["no-privileged-ports"].EVIDENCE:
        assert f"  - {line}" in text


def test_an_unknown_id_lists_guards_and_tags_too() -> None:
    done = run_tool("explain", "no-such-id")
    assert done.returncode == 2 and done.stdout == b""
    line = done.stderr.decode()
    assert line.count("\n") == 1
    assert ", or a guard: no-privileged-ports, " in line
    assert (", or a result tag: already-broken, evidence-unseen, hardening-undone, "
            "still-in-effect, not-expressible, or a release: releases, ") in line


def test_a_user_patch_id_is_explained_with_its_folder() -> None:
    """A user patch's id is what its results and SARIF rule carry: explained given the same
    --patches folder, and the unknown-id line says how."""
    folder = REPO / "examples" / "user-patches" / "patches"
    done = run_tool("explain", "proxy-resources", "--patches", str(folder))
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode()
    assert text.startswith("proxy-resources: Give every Envoy container memory requests")
    assert "scope: proxy-container" in text and "patch file: 10-proxy-resources.yaml" in text
    without = run_tool("explain", "proxy-resources")
    assert without.returncode == 2 and without.stderr.decode().rstrip().endswith(
        "your own patches' ids with --patches DIR")
    ran = run_tool("--check", "--patches", str(folder), "--results", "-", str(EXAMPLE))
    assert "proxy-resources" in {r.get("hardening") for r in json.loads(ran.stdout)}
