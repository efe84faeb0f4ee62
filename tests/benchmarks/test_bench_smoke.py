"""The benchmark cannot rot: its generator, its edit-equivalence check and one dry run of
``benchmarks/bench.py`` (every command once, outputs compared, no timing asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BIN_DIR, CORPUS, REPO, pinned, run_tool, tool_env

sys.path.insert(0, str(REPO / "benchmarks"))
import equivalence  # noqa: E402
import gen_gloo  # noqa: E402

sys.path.insert(0, str(REPO / "tests" / "e2e"))
from krmtools import client  # noqa: E402


@pytest.mark.parametrize("docs", [1, 59, 60, 61, 150])
def test_generator_writes_n_distinct_resources(docs: int, tmp_path: Path) -> None:
    text = "".join(gen_gloo.stream(docs))
    assert text == "".join(gen_gloo.stream(docs)), "the generator must be deterministic"
    path = tmp_path / "stream.yaml"
    path.write_text(text, encoding="utf-8")
    assert len(equivalence.load(path)) == docs  # unique apiVersion/kind/namespace/name


@pytest.mark.parametrize("docs", [1, 20, 45])
def test_proxy_dense_generator_writes_n_distinct_resources(docs: int, tmp_path: Path) -> None:
    text = "".join(gen_gloo.proxy_stream(docs))
    assert text == "".join(gen_gloo.proxy_stream(docs)), "the generator must be deterministic"
    path = tmp_path / "stream.yaml"
    path.write_text(text, encoding="utf-8")
    assert len(equivalence.load(path)) == docs


def test_gloo_harden_hardens_every_proxy_of_the_proxy_dense_stream(tmp_path: Path) -> None:
    source = tmp_path / "p40.yaml"
    source.write_text("".join(gen_gloo.proxy_stream(2 * gen_gloo.DENSE_UNIT)), encoding="utf-8")
    done = run_tool(str(source))
    assert done.returncode == 0, done.stderr
    hardened = tmp_path / "out.yaml"
    hardened.write_bytes(done.stdout)
    edits = equivalence.edits(equivalence.load(source), equivalence.load(hardened))
    dropped = [key for key, path, _ in edits if path.endswith("capabilities.add")]
    assert len(dropped) == 2 * len(gen_gloo.DENSE_PROXIES), "no Gateway binds below 1024"


def test_gloo_harden_makes_the_13_edits_of_a_release_unit(tmp_path: Path) -> None:
    source = tmp_path / "d120.yaml"
    source.write_text("".join(gen_gloo.stream(120)), encoding="utf-8")
    done = run_tool(*pinned(), str(source))
    assert done.returncode == 0, done.stderr
    hardened = tmp_path / "out.yaml"
    hardened.write_bytes(done.stdout)
    edits = equivalence.edits(equivalence.load(source), equivalence.load(hardened))
    assert len(edits) == 2 * 13
    assert {path for _, path, _ in edits} == {
        ".spec.template.spec.containers[0].securityContext.capabilities.add",
        ".spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem",
        ".spec.template.spec.automountServiceAccountToken",
        ".automountServiceAccountToken",
        ".spec.gloo.disableKubernetesDestinations",
    }


def test_equivalence_sees_a_missing_edit(tmp_path: Path) -> None:
    source = tmp_path / "in.yaml"
    source.write_text("".join(gen_gloo.stream(60)), encoding="utf-8")
    ours = tmp_path / "ours.yaml"
    ours.write_bytes(run_tool(*pinned(), str(source)).stdout)
    weaker = tmp_path / "weaker.yaml"
    weaker.write_text(ours.read_text().replace("disableKubernetesDestinations: true",
                                               "disableKubernetesDestinations: false"))
    count, problems = equivalence.compare(source, ours, weaker)
    assert count == 12 and len(problems) == 1 and "disableKubernetesDestinations" in problems[0]


@pytest.mark.e2e
def test_bench_dry_run_against_kustomize_and_kpt() -> None:
    client("kubectl")
    client("kpt")
    corpus = CORPUS / "gloo-1.17.0-kubegateway.yaml"
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench.py"), "--dry-run", "--sizes", "60",
         "--corpus", str(corpus) if corpus.is_file() else "", "--growth", "40,80"],
        capture_output=True, text=True, env=tool_env(), timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "13 edited fields, the same in both outputs" in done.stdout
    assert done.stdout.count("the same in both outputs") == (4 if corpus.is_file() else 2)
    assert "gloo-harden --version" in done.stdout and "MISSED" not in done.stdout
    assert "the KRM function's own run" in done.stdout and "growth: proxy-dense" in done.stdout
    assert done.stdout.count("`floor: kpt fn eval --exec (import ruamel.yaml.cyaml; cat)`") == \
        (2 if corpus.is_file() else 1)
    assert (Path(BIN_DIR) / "gloo-harden").exists()


def _imported_roots(path: Path) -> set[str]:
    """Top-level module names ``path`` imports anywhere (function-level imports included)."""
    import ast

    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_bench_needs_nothing_beyond_gloo_harden_and_its_dependencies() -> None:
    """``bench.py`` runs next to a plain ``pip install .``: every module it (and the benchmark
    modules it imports) reads is the standard library, a benchmark module, gloo-harden or one
    of gloo-harden's runtime dependencies. PyYAML, a test-only dependency, failed this."""
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {req.split(";")[0].split("[")[0].split(">")[0].split("<")[0].split("=")[0]
               .strip().split(".")[0].replace("-", "_") for req in project["dependencies"]}
    local = {p.stem for p in (REPO / "benchmarks").glob("*.py")}
    allowed = set(sys.stdlib_module_names) | local | runtime | {"gloo_harden"}
    seen, todo, found = set(), ["bench"], {}
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        roots = _imported_roots(REPO / "benchmarks" / f"{name}.py")
        found[name] = roots - allowed
        todo.extend(roots & local)
    assert "equivalence" in seen and runtime >= {"ruamel", "click"}
    assert not any(found.values()), f"imports outside the runtime dependencies: {found}"


def test_equivalence_reads_without_pyyaml(tmp_path: Path) -> None:
    """The edit check itself runs with ``yaml`` unimportable, and reads YAML 1.1 as Kubernetes
    does (``on`` is a boolean, ``0755`` an octal number, ``"on"`` a string)."""
    source = tmp_path / "in.yaml"
    source.write_text("".join(gen_gloo.stream(60)), encoding="utf-8")
    ours = tmp_path / "ours.yaml"
    ours.write_bytes(run_tool(*pinned(), str(source)).stdout)
    typed = tmp_path / "typed.yaml"
    typed.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: t}\n"
                     "data: {a: on, b: 0755, c: \"on\"}\n", encoding="utf-8")
    script = (
        "import sys; sys.modules['yaml'] = None\n"
        f"sys.path.insert(0, {str(REPO / 'benchmarks')!r})\n"
        "import bench, equivalence\n"
        f"print(equivalence.compare(*map(__import__('pathlib').Path, {[str(source), str(ours), str(ours)]!r})))\n"
        f"print(list(equivalence.load(__import__('pathlib').Path({str(typed)!r})).values())[0]['data'])\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["(13, [])", "{'a': True, 'b': 493, 'c': 'on'}"]
