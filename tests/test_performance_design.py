"""The design choices that keep gloo-harden fast, guarded without timing anything.

- A document no scope or guard reads (CRD, RBAC, webhook, big ConfigMap) is never handed to
  a parser: it is copied through as bytes.
- A document that is read is read by the C parser, and one that changes is written by editing
  its text (textedit.py): the round-trip parser only sees what the text editor cannot write.
- A changed document is parsed a bounded number of times: the writer and the invariants share
  their re-parses (``yamlio.verifying``), so nothing is read twice for the same check.
- A workload that cannot be a proxy (no proxy role's name in its text) is not parsed either,
  as long as every built-in hardening targets proxies only; one that might be (the role
  spelled with an escape, or the label only on the pod template) still is.
- An embedded text (Gateways in the chart's ConfigMap) is parsed once per run, and a Gateway
  or route document is read once per run (until it is patched), not once per proxy or
  Settings the guards look at (both were quadratic in the stream size).
- What guards derive from the whole stream (embedded Gateways, Services by selector, proxies
  by ServiceAccount, routes, Namespaces) is built in the index once per render
  (``StreamIndex.view``) and read from there: counted, the work per document stays the same
  when a proxy-dense stream is ten times as long.
- A run leaves no cyclic garbage that grows with its documents (the C reader's loaders refer to
  themselves and are emptied after each document), so the command runs with the cyclic
  collector off: a collection would walk the whole growing stream to find next to nothing.
- ``gloo-harden --version`` imports neither click nor the YAML and patch libraries, and says
  exactly what click's ``version_option`` says.
"""

from __future__ import annotations

import collections
import gc
import re
import subprocess
import sys
import uuid
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from conftest import BIN_DIR, REPO, tool_env
from gloo_harden.run import hardenings, pipeline
from gloo_harden.yamltext import yamlio
from gloo_harden.yamltext.stream import Document

sys.path.insert(0, str(REPO / "benchmarks"))
import gen_gloo  # noqa: E402

NEVER_PARSED = ("CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "Role",
                "RoleBinding", "ValidatingWebhookConfiguration", "Upstream")




def _harden(text: str) -> pipeline.Outcome:
    options = pipeline.Options(hardenings.builtin())
    return pipeline.harden([pipeline.Source("gen.yaml", text.encode())], options)


def _kind(text: str) -> str | None:
    return Document(0, "t", "", text).sniff_kind()


def test_unrelated_kinds_are_never_parsed(reads: collections.Counter[str],
                                          parses: collections.Counter[str]) -> None:
    stream = "".join(gen_gloo.stream(60))
    outcome = _harden(stream)
    assert not [t for t in parses if t in stream], "a document went through the round-trip parser"
    parsed_kinds = {_kind(text) for text in reads}
    assert outcome.changed, "the generated stream should be hardened"
    assert not parsed_kinds & set(NEVER_PARSED), parsed_kinds
    envoy = [t for t in reads if "gateway-proxy-envoy-config" in t and _kind(t) == "ConfigMap"]
    assert envoy == [], "the 14 KB Envoy bootstrap ConfigMap was parsed"
    assert "Deployment" in parsed_kinds and "ServiceAccount" in parsed_kinds


def test_untouched_documents_are_copied_byte_for_byte() -> None:
    stream = "".join(gen_gloo.stream(60))
    outcome = _harden(stream)
    before = stream.split("\n---\n")
    after = outcome.text.split("\n---\n")
    assert len(before) == len(after) == 60
    assert sum(a != b for a, b in zip(before, after, strict=True)) == len(outcome.changed) == 7


def test_changed_documents_are_parsed_a_bounded_number_of_times(
        parses: collections.Counter[str]) -> None:
    stream = "".join(gen_gloo.stream(60))
    documents = pipeline.read([pipeline.Source("gen.yaml", stream.encode())])
    outcome = _harden(stream)
    written = pipeline.read([pipeline.Source("out.yaml", outcome.text.encode())])
    for position in outcome.changed:
        original, hardened = documents[position].text, written[position].text
        # read once to harden, once more for the writer's no-op dump; never by the checks
        assert parses[original] <= 2, (position, parses[original])
        # the writer's check and the invariants share one parse of the written text
        assert parses[hardened] <= 1, (position, parses[hardened])


def test_embedded_gateways_are_parsed_once_for_all_proxies(
        reads: collections.Counter[str]) -> None:
    unit = list(gen_gloo.stream(60))
    marker = f"# run {uuid.uuid4()}"  # a text no earlier test has parsed (the cache is per text)
    unit = [doc.replace("  custom-resources: |\n", f"  custom-resources: |\n    {marker}\n")
            for doc in unit]
    outcome = _harden("".join(unit))
    embedded_texts = [t for t in reads if marker in t and _kind(t) != "ConfigMap"]
    proxies = sum(1 for r in outcome.results if r.hardening == "drop-net-bind-service")
    assert proxies >= 3 and len(embedded_texts) == 1
    assert reads[embedded_texts[0]] == 1


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=tool_env(), timeout=60)


def test_version_imports_no_click_yaml_or_jsonpatch() -> None:
    probe = _run(
        "import atexit, sys\n"
        "heavy = ('click', 'ruamel', 'jsonpatch', 'jsonpointer', 'yaml')\n"
        "atexit.register(lambda: print(sorted(m for m in sys.modules "
        "if m.split('.')[0] in heavy), file=sys.stderr))\n"
        "sys.argv = ['gloo-harden', '--version']\n"
        "from gloo_harden.__main__ import main\n"
        "main()\n")
    assert probe.returncode == 0, probe.stderr
    assert probe.stderr.strip() == "[]"
    via_click = _run("from gloo_harden.cli import main\nmain(['--version'])\n")
    assert via_click.returncode == 0
    assert probe.stdout == via_click.stdout == "gloo-harden, version " + \
        metadata.version("gloo-harden") + "\n"


def test_help_imports_no_yaml_or_jsonpatch() -> None:
    probe = _run(
        "import atexit, sys\n"
        "heavy = ('ruamel', 'jsonpatch', 'jsonpointer', 'yaml')\n"
        "atexit.register(lambda: print(sorted(m for m in sys.modules "
        "if m.split('.')[0] in heavy), file=sys.stderr))\n"
        "sys.argv = ['gloo-harden', '--help']\n"
        "from gloo_harden.__main__ import main\n"
        "main()\n")
    assert probe.returncode == 0, probe.stderr
    assert probe.stderr.strip() == "[]" and "--max-depth" in probe.stdout


def test_the_installed_script_takes_the_fast_entry_point() -> None:
    (script,) = [e for e in metadata.entry_points(group="console_scripts")
                 if e.name == "gloo-harden"]
    assert script.value == "gloo_harden.__main__:main"
    done = subprocess.run([str(Path(BIN_DIR) / "gloo-harden"), "--version"], capture_output=True,
                          text=True, env=tool_env(), timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("gloo-harden, version ")


WORKLOAD = """---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: gloo-system
  labels:
{labels}
spec:
  template:
    metadata:
      labels:
{pod_labels}
    spec:
      containers:
      - name: {name}
        image: quay.io/solo-io/gloo-envoy-wrapper:1.17.0
        securityContext:
          capabilities:
            add:
            - NET_BIND_SERVICE
"""


def test_built_in_hardenings_read_proxies_only() -> None:
    """The built-ins' scopes read no workload but proxies (and the kgateway controller, by its
    KGW_ env), so other workloads stay unparsed; a built-in whose scope reads every workload
    would change that, as its ``READS`` says (``tests/run/test_reading.py``)."""
    read = pipeline.reading(hardenings.builtin())
    assert not read.every_workload and read.markers == ("KGW_",)


@pytest.mark.parametrize(("labels", "pod_labels", "proxy"), [
    ("    app: gloo\n    gloo: gloo", "        gloo: gloo", False),
    ("    app: gloo", "        gloo: gateway-proxy", True),  # pod template label only
    ("    app: gloo\n    gloo: \"gateway\\x2dproxy\"", "        app: gloo", True),  # escaped
])
def test_workloads_are_parsed_when_they_may_be_proxies(
        reads: collections.Counter[str], labels: str, pod_labels: str, proxy: bool) -> None:
    text = WORKLOAD.format(name="edge", labels=labels, pod_labels=pod_labels)
    outcome = _harden(text)
    assert bool(reads) is proxy
    assert bool(outcome.changed) is proxy


def test_guards_read_each_gateway_once_for_all_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    from gloo_harden.guards import no_kube_destinations, no_privileged_ports

    calls: collections.Counter[str] = collections.Counter()
    for module, name in ((no_privileged_ports, "_plain"), (no_kube_destinations, "_destinations")):
        original = getattr(module, name)

        def counting(resource: Any, original: Any = original, name: str = name) -> Any:
            calls[f"{name} {resource.kind} {resource.namespace}/{resource.name}"] += 1
            return original(resource)

        monkeypatch.setattr(module, name, counting)
    outcome = _harden("".join(gen_gloo.stream(180)))  # 3 units: 9 proxies, 3 Settings
    assert len(outcome.changed) == 21
    assert len(calls) == 3 * (2 + 2 + 3)  # per unit: 2 Gateways (read by both guards), 3 routes
    assert set(calls.values()) == {1}


@pytest.fixture
def view_builds(monkeypatch: pytest.MonkeyPatch) -> collections.Counter[str]:
    """How many times each ``StreamIndex.view`` is built, by key, from here on."""
    from gloo_harden.gloo.index import StreamIndex

    builds: collections.Counter[str] = collections.Counter()
    view = StreamIndex.view

    def counting(self: StreamIndex, key: str, kinds: Any, build: Any) -> Any:
        def counted(index: StreamIndex) -> Any:
            builds[key] += 1
            return build(index)
        return view(self, key, kinds, counted)

    monkeypatch.setattr(StreamIndex, "view", counting)
    return builds


def test_stream_wide_data_is_built_once_per_render(
        view_builds: collections.Counter[str]) -> None:
    """What guards derive from the whole stream (Gateways, embedded objects, Services by
    selector, proxies by ServiceAccount, routes, Namespaces) is built in the index a fixed
    number of times per render: ten times the proxies and Gateways, not one build more."""
    builds = view_builds
    counts = []
    for docs in (2 * gen_gloo.DENSE_UNIT, 20 * gen_gloo.DENSE_UNIT):
        builds.clear()
        outcome = _harden("".join(gen_gloo.proxy_stream(docs)))
        assert len([r for r in outcome.results if r.hardening == "drop-net-bind-service"]) \
            == docs // gen_gloo.DENSE_UNIT * len(gen_gloo.DENSE_PROXIES)
        counts.append(dict(builds))
    assert counts[0] == counts[1]
    assert {"embedded", "services-by-selector", "proxies-by-account",
            "no-privileged-ports/gateway-ports", "no-kube-destinations/routes"} <= set(counts[0])


def test_guards_read_the_stream_in_time_linear_in_its_size(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Counted, not timed: the metadata reads of a run per document stay the same when the
    proxy-dense stream is ten times as long (a guard that scans the stream for every target
    makes them grow with the number of targets)."""
    from gloo_harden.resources.model import Resource

    reads = [0]
    metadata = Resource.metadata

    def counting(self: Resource) -> Any:
        reads[0] += 1
        return metadata.fget(self)  # type: ignore[attr-defined]

    monkeypatch.setattr(Resource, "metadata", property(counting))
    per_document = []
    for docs in (2 * gen_gloo.DENSE_UNIT, 20 * gen_gloo.DENSE_UNIT):
        reads[0] = 0
        _harden("".join(gen_gloo.proxy_stream(docs)))
        per_document.append(reads[0] / docs)
    assert per_document[1] <= 1.1 * per_document[0], per_document


def test_derived_data_is_forgotten_when_its_resource_is_patched() -> None:
    from gloo_harden.gloo.index import StreamIndex
    from gloo_harden.resources.model import Resource

    doc = Document(0, "t", "", "", tree=yamlio.load("kind: Gateway\nspec: {bindPort: 80}\n", "t"))
    resource = Resource(doc, 0, doc.tree, "")
    index = StreamIndex([resource])
    port = index.derived(resource, "k", lambda r: r.tree["spec"]["bindPort"])
    resource.tree["spec"]["bindPort"] = 8080
    assert index.derived(resource, "k", lambda r: r.tree["spec"]["bindPort"]) == port == 80
    index.touched(resource)
    assert index.derived(resource, "k", lambda r: r.tree["spec"]["bindPort"]) == 8080


def test_changed_documents_are_written_without_the_round_trip_parser(
        reads: collections.Counter[str], parses: collections.Counter[str]) -> None:
    """Services, routes and an unchanged Settings are read with the C parser; the documents
    that change are edited as text, so nothing is parsed into a round-trip tree."""
    from gloo_harden.run import hardenings
    from gloo_harden.run.pipeline import Options, Source, harden

    source = (REPO / "examples" / "pipe" / "gloo-rendered.yaml").read_text()
    service = [d for d in source.split("---\n") if "kind: Service\n" in d][0]
    chosen = hardenings.chosen_patches(hardenings.builtin(), (),
                                       ("disable-kubernetes-destinations",))
    outcome = harden([Source("pipe", source.encode())], Options(chosen))
    assert len(outcome.changed) == 2  # the proxy Deployment and its ServiceAccount
    assert not [t for t in parses if t in source], "a document went through the round-trip parser"
    assert any(service.endswith(text) for text in reads), "the Service was not read"
    deployment = [text for text in reads.elements() if "kind: Deployment" in text]
    # read once to harden, composed once to edit, and its edited text checked once
    assert len(deployment) == 3, deployment


#: Modules a plain run (Helm, kpt and kustomize call ``gloo-harden`` so) does not need: click
#: and what it brings (``inspect``, ``uuid``…), temporary files, the results formats, diffs,
#: the other adapters, and the Gateway API review on a stream without Gateway API kinds.
NOT_IN_A_PLAIN_RUN = (
    "click", "inspect", "dis", "ast", "tokenize", "uuid", "platform", "shutil", "tempfile",
    "random", "bz2", "lzma", "json", "difflib", "textwrap", "argparse", "subprocess",
    "jsonpatch", "jsonpointer", "yaml",
    "gloo_harden.cli", "gloo_harden.outputs.sarif", "gloo_harden.outputs.diffs",
    "gloo_harden.adapters.kustomize", "gloo_harden.run.gateway_review",
)


@pytest.mark.parametrize(("example", "review"), [
    ("pipe/gloo-rendered.yaml", False), ("kgateway/kgateway-rendered.yaml", True)])
def test_a_plain_run_imports_only_what_it_needs(example: str, review: bool) -> None:
    """The import list of a plain run on an Edge stream (the Gateway API review only comes in
    with Gateway API kinds)."""
    probe = _run(
        "import atexit, sys\n"
        "atexit.register(lambda: print(sorted(sys.modules), file=sys.stderr))\n"
        f"sys.argv = ['gloo-harden', {str(REPO / 'examples' / example)!r}]\n"
        "from gloo_harden.__main__ import main\n"
        "main()\n")
    assert probe.returncode in (0, 1), probe.stderr
    imported = set(eval(probe.stderr.splitlines()[-1]))  # noqa: S307 - our own probe's list
    unneeded = {m for m in imported if m.split(".")[0] in NOT_IN_A_PLAIN_RUN
                or m in NOT_IN_A_PLAIN_RUN}
    assert unneeded == ({"gloo_harden.run.gateway_review"} if review else set())


@pytest.mark.parametrize("stdin", [False, True])
def test_a_run_with_only_file_names_imports_no_click(stdin: bool) -> None:
    """Helm, kpt and kustomize call ``gloo-harden`` with no arguments or only files; a KRM
    function run (a ResourceList on stdin) imports no kustomize-plugin adapter either."""
    source = REPO / "examples" / "pipe" / "gloo-rendered.yaml"
    text = source.read_text()
    if stdin:  # as kpt sends it
        items = "".join("- " + doc.replace("\n", "\n  ").rstrip(" ") + "\n"
                        for doc in re.split(r"^---\n", text, flags=re.M) if doc.strip())
        text = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + items
    probe = subprocess.run(
        [sys.executable, "-c",
         "import atexit, sys\n"
         "atexit.register(lambda: print(sorted(m for m in sys.modules if m in "
         "('click', 'gloo_harden.adapters.kustomize')), file=sys.stderr))\n"
         f"sys.argv = ['gloo-harden'{'' if stdin else ', ' + repr(str(source))}]\n"
         "from gloo_harden.__main__ import main\n"
         "main()\n"], input=text if stdin else None, capture_output=True, text=True,
        env=tool_env(), timeout=60)
    assert probe.returncode == 0, probe.stderr
    assert ("ResourceList" in probe.stdout) is stdin
    assert probe.stderr.splitlines()[-1] == "[]"


@pytest.mark.parametrize(("args", "plain"), [
    ([], True), (["-"], True), (["a.yaml", "-", "b.yaml"], True),
    (["--strict", "a.yaml"], False), (["a.yaml", "-o", "b"], False),
    (["list"], False), (["explain", "x"], False), (["--"], False), ([str(REPO)], False),
])
def test_which_command_lines_skip_click(args: list[str], plain: bool) -> None:
    from gloo_harden import __main__

    assert (__main__.plain_files(args) is not None) is plain


def test_the_click_free_run_answers_as_click_does(tmp_path: Path) -> None:
    from gloo_harden import __main__, cli

    assert set(cli.SUBCOMMANDS) == set(__main__.SUBCOMMANDS)
    source = REPO / "examples" / "pipe" / "gloo-rendered.yaml"
    for args in ([str(source)], [str(tmp_path / "missing.yaml")], [str(source), str(source)]):
        fast = _run("import sys\nfrom gloo_harden.__main__ import main\n"
                    f"sys.argv = ['gloo-harden', *{args!r}]\nmain()\n")
        slow = _run(f"from gloo_harden.cli import main\nmain({args!r})\n")
        assert (fast.returncode, fast.stdout, fast.stderr) == \
            (slow.returncode, slow.stdout, slow.stderr), args


def test_click_defaults_are_the_requests_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    from gloo_harden import cli
    from gloo_harden.adapters import pipe

    seen: list[pipe.Request] = []
    monkeypatch.setattr(pipe, "harden", seen.append)
    with pytest.raises(SystemExit):
        cli.main(["a.yaml"])
    assert seen == [pipe.Request(("a.yaml",))]


@pytest.mark.parametrize("columns", ["", "60", "200", "30", "junk"])
def test_help_is_as_wide_as_click_would_make_it(monkeypatch: pytest.MonkeyPatch,
                                                columns: str) -> None:
    import shutil

    from gloo_harden import cli

    monkeypatch.setenv("COLUMNS", columns)
    assert cli.help_width() == max(min(shutil.get_terminal_size().columns, 80) - 2, 50)


def test_the_output_is_written_document_by_document_never_joined(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Joined, a big stream's output would be held a second time beside its documents."""
    from gloo_harden.adapters import pipe
    from gloo_harden.yamltext import stream

    def joined(*_: Any) -> str:
        raise AssertionError("the whole output was joined into one text")

    monkeypatch.setattr(stream, "join", joined)
    monkeypatch.setattr(pipeline.Outcome, "text", property(joined))
    source, target = tmp_path / "in.yaml", tmp_path / "out.yaml"
    source.write_text("".join(gen_gloo.stream(60)))
    with pytest.raises(SystemExit) as exit_info:
        pipe.harden(pipe.Request((str(source),), output=str(target)))
    assert exit_info.value.code == 0
    documents = pipeline.read([pipeline.Source("in", source.read_bytes())])
    pieces = stream.pieces(documents, {})
    assert all(piece[2] is doc.text for piece, doc in zip(pieces, documents, strict=True))  # no copies
    assert len(stream.split(target.read_text(), "out")) == len(documents) == 60


def test_built_in_patch_files_are_read_by_the_c_parser() -> None:
    """Every run reads every built-in patch file: one the C parser may not read (an ``&`` or
    ``*`` anywhere, even in its documentation) goes to the pure-Python round-trip parser, which
    cost 45 ms of each run when the kgateway patch's docs said ``app.kubernetes.io/*``."""
    for path in sorted(hardenings.patches_dir().rglob("*.yaml")):
        text = path.read_text()
        assert yamlio._fast_may_read(text), f"{path}: the C parser may not read it"
        assert yamlio.load_for_reading(text, str(path))[1] is False, path


@pytest.mark.parametrize(("example", "stdin"), [
    ("pipe/gloo-rendered.yaml", False), ("pipe/gloo-rendered.yaml", True),
    ("kgateway/kgateway-rendered.yaml", False)])
def test_a_plain_run_compiles_no_annotation(example: str, stdin: bool) -> None:
    """A NamedTuple whose fields are annotated with strings (``from __future__ import
    annotations``) builds a ``typing.ForwardRef`` per field, each a ``compile()``; the first
    one initialises CPython's AST types, 10M instructions. The modules of a plain run (and of
    the KRM route) that define NamedTuples evaluate their annotations, so a run compiles
    nothing in ``eval`` mode (``exec`` is importlib compiling a module without bytecode)."""
    source = REPO / "examples" / example
    text = source.read_text()
    if stdin:
        items = "".join("- " + doc.replace("\n", "\n  ").rstrip(" ") + "\n"
                        for doc in re.split(r"^---\n", text, flags=re.M) if doc.strip())
        text = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + items
    probe = subprocess.run(
        [sys.executable, "-c",
         "import atexit, builtins, sys\n"
         "compiled = []\n"
         "original = builtins.compile\n"
         "def counting(source, filename, mode, *args, **kwargs):\n"
         "    if mode == 'eval':\n"
         "        compiled.append(source)\n"
         "    return original(source, filename, mode, *args, **kwargs)\n"
         "builtins.compile = counting\n"
         "atexit.register(lambda: print(compiled, file=sys.stderr))\n"
         f"sys.argv = ['gloo-harden'{'' if stdin else ', ' + repr(str(source))}]\n"
         "from gloo_harden.__main__ import main\n"
         "main()\n"], input=text if stdin else None, capture_output=True, text=True,
        env=tool_env(), timeout=60)
    assert probe.returncode in (0, 1), probe.stderr
    assert probe.stderr.splitlines()[-1] == "[]"


def _gloo_gateway_teams(teams: int) -> str:
    """A Gloo Gateway class with its parameters, and ``teams`` Gateways each naming its own
    per-Gateway GatewayParameters by annotation."""
    docs = ["""apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gloo-gateway}
spec:
  controllerName: solo.io/gloo-gateway
  parametersRef: {group: gateway.gloo.solo.io, kind: GatewayParameters, name: gloo-gateway,
                  namespace: gloo-system}
""", """apiVersion: gateway.gloo.solo.io/v1alpha1
kind: GatewayParameters
metadata: {name: gloo-gateway, namespace: gloo-system}
spec: {kube: {envoyContainer: {securityContext: {runAsUser: 10101, capabilities: {drop: [ALL]}}}}}
"""]
    for i in range(teams):
        docs += [f"""apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gw{i}
  namespace: team{i}
  annotations: {{gateway.gloo.solo.io/gateway-parameters-name: params}}
spec: {{gatewayClassName: gloo-gateway, listeners: [{{name: h, port: 8080, protocol: HTTP}}]}}
""", f"""apiVersion: gateway.gloo.solo.io/v1alpha1
kind: GatewayParameters
metadata: {{name: params, namespace: team{i}}}
spec: {{kube: {{envoyContainer: {{securityContext: {{readOnlyRootFilesystem: false}}}}}}}}
"""]
    return "---\n".join(docs)


def test_what_gateway_parameters_are_merged_over_is_built_once_per_render(
        view_builds: collections.Counter[str]) -> None:
    """``gloo.parameters_merge`` finds each GatewayParameters' uses in a view that patching
    GatewayParameters does not forget: under --profile restricted its builds stay the same
    when a stream has ten times the per-Gateway parameters (forgotten on every patch, the run
    was quadratic: 2,000 teams took 129 s instead of 7)."""
    from gloo_harden.run.options import Request, resolve

    builds = view_builds
    _, options = resolve(Request(profile_names=("restricted",)))
    counts = []
    for teams in (5, 50):
        builds.clear()
        outcome = pipeline.harden([pipeline.Source("t.yaml", _gloo_gateway_teams(teams).encode())],
                                  options)
        assert len([r for r in outcome.results if r.hardening == "restricted-run-as-non-root"
                    and r.field and r.field.endswith("runAsNonRoot")]) == teams + 1  # + the class
        counts.append(builds["parameters-merge/uses-seen"])
    assert counts[0] == counts[1] > 0


def _cyclic_garbage(text: str, profiles: tuple[str, ...]) -> int:
    """How many objects a run over ``text`` leaves that only the cyclic collector frees."""
    from gloo_harden.run.options import Request, resolve

    _, options = resolve(Request(profile_names=profiles, sidecars=bool(profiles)))
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        pipeline.harden([pipeline.Source("gen.yaml", text.encode())], options)
        gc.collect()
        return len(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


@pytest.mark.parametrize("profiles", [(), ("restricted",)], ids=["defaults", "restricted"])
@pytest.mark.parametrize("stream", [gen_gloo.stream, gen_gloo.proxy_stream],
                         ids=["generated", "proxy-dense"])
def test_a_run_leaves_no_cyclic_garbage_that_grows_with_its_documents(
        stream: Any, profiles: tuple[str, ...]) -> None:
    """``__main__`` never runs the cyclic collector: only reference counting frees what a run
    makes, so what it cannot free must stay a constant (caches filled once), not one lot per
    document (each C loader and the nodes it read were 27,881 objects on 1,000 documents)."""
    _cyclic_garbage("".join(stream(20)), profiles)  # caches and lazy imports filled first
    small, large = (_cyclic_garbage("".join(stream(size)), profiles) for size in (40, 400))
    assert large <= small, (small, large)
