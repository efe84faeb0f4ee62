"""Every choice a run can be given, and the one place that turns them into pipeline ``Options``.

A choice comes from a command-line flag, from a functionConfig (a KRM function's
``GlooHardening`` spec or ``ConfigMap`` data, or the legacy kustomize plugin's config file),
or from nowhere (its default). ``FIELDS`` lists every choice once; each row gives its
``Request`` attribute, its flags, its functionConfig key, its ``Kind`` and its help. From it:

- ``cli.py`` builds its click options (``cli.table_options``): flags, help, metavar, type,
  default;
- ``__main__`` runs a command line of file names only as ``Request(files)``, without click:
  every other field at its ``Request`` default (a test holds click's defaults to these);
- ``resolve(request, config)`` reads a functionConfig on top of the flags: ``spec.<key>``
  (typed: booleans, lists of strings) or ``data.<key>`` (a ConfigMap: strings, lists
  comma-separated). A key replaces the flag's value, except where the row says ``appends``
  (patch folders and profiles run after the command line's). Then it loads the patches of
  every profile and folder once and checks every hardening id once, against the built-ins and
  the loaded patches, and returns the run's ``pipeline.Options``.

Mistakes in a functionConfig are ``Problem`` s (field and message), all of them in one
``ConfigProblems``; a KRM function answers them as results, the kustomize plugin as one line.
Mistakes in flags are a ``ConfigError`` (one line, exit 2).

How to add a field
------------------
1. Add the attribute and its default to ``Request`` (the default is also click's).
2. Add one ``Field`` row to ``FIELDS``: ``flags`` for the command line, ``key`` (camelCase,
   as Kubernetes spells fields) for the functionConfig, or both; a ``Kind`` that says how it
   is spelled and checked (add a kind only for a new shape of value: then teach
   ``_from_spec``/``_from_data`` and ``cli.table_options`` to read it).
3. Use ``request.<attribute>`` where the run needs it: ``resolve`` for pipeline options, the
   command or an adapter for everything else.
4. Document it: ``--help`` follows from the row; a functionConfig key goes into
   ``image/README.md``, the function's documentation (a test checks every key is there).
"""

# No ``from __future__ import annotations`` here: a NamedTuple field annotated with a string
# costs a compile() (typing.ForwardRef), and the first one 10M instructions (see
# tests/test_performance_design.py). Forward references are quoted.

import os
from enum import Enum
from typing import TYPE_CHECKING, Any, NamedTuple

from gloo_harden.errors import ConfigError
from gloo_harden.yamltext.limits import DEFAULT as DEFAULT_LIMITS
from gloo_harden.yamltext.limits import Limits

if TYPE_CHECKING:
    from collections.abc import Callable

    from gloo_harden.run.pipeline import Options

API_VERSION = "gloo-harden.dev/v1alpha1"
#: what ``--results`` writes: our JSON list, or a SARIF 2.1.0 log (``sarif.py``)
RESULTS_FORMATS = ("json", "sarif")
KIND = "GlooHardening"
_TRUE, _FALSE = ("true", "yes", "1"), ("false", "no", "0", "")


class Request(NamedTuple):
    """One run of the harden command: every choice, at its default when nothing set it."""

    files: tuple[str, ...] = ()
    output: str | None = None
    enable: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()
    check: bool = False
    show_diff: bool = False
    strict: bool = False
    sidecars: bool = False
    results_file: str | None = None
    quiet: bool = False
    plugin_config: str | None = None
    validate_all: bool = False
    max_input_bytes: int = DEFAULT_LIMITS.max_input_bytes
    max_documents: int = DEFAULT_LIMITS.max_documents
    max_depth: int = DEFAULT_LIMITS.max_depth
    max_aliases: int = DEFAULT_LIMITS.max_aliases
    patch_dirs: tuple[str, ...] = ()
    profile_names: tuple[str, ...] = ()
    fail_on_unmatched: bool = False
    fail_on_empty: bool = False
    istio_injected: tuple[str, ...] = ()
    assume_version: str | None = None  # PRODUCT-VERSION, e.g. kgateway-2.1.2
    results_format: str = "json"
    separate_renders: bool = False
    evidence: tuple[str, ...] = ()  # files and folders of objects the guards read (--evidence)

    @property
    def limits(self) -> Limits:
        return Limits(self.max_input_bytes, self.max_documents, self.max_aliases,
                      self.max_depth)


class Kind(Enum):
    """The shape of a field's value: how a flag takes it and how a functionConfig spells it."""

    SWITCH = "a boolean"  # --flag; spec: true/false; data: "true"/"false"
    IDS = "hardening ids"  # repeatable flag; spec: a list; data: "a,b"
    FOLDERS = "directories"  # repeatable flag; spec: a list; data: "a,b"; each must exist
    PROFILES = "profile names"  # repeatable flag; spec: a list; data: "a,b"
    NAMESPACES = "namespace names"  # repeatable flag; spec: a list; data: "a,b"; or "all"
    INPUT_FILE = "a file to read"  # flags only
    OUTPUT_FILE = "a file to write"  # flags only
    SIZE = "a size"  # flags only: 1GiB, 64MiB, 500MB, plain bytes
    COUNT = "a whole number"  # flags only, within Field.bounds
    RELEASE = "a release"  # PRODUCT-VERSION (kgateway-2.1.2, gloo-1.19); spec and data: a string
    FORMAT = "a results format"  # flags only: one of RESULTS_FORMATS
    OUTPUT_PATH = "a file or directory to write"  # flags only (emit -o PATH)
    PATHS = "files or folders"  # repeatable flag; spec: a list; data: "a,b"; each must exist

    @property
    def is_list(self) -> bool:
        return self in (Kind.IDS, Kind.FOLDERS, Kind.PROFILES, Kind.NAMESPACES, Kind.PATHS)


class Field(NamedTuple):
    """One choice: where it is read from and how it is checked."""

    name: str  # the Request attribute (and click's parameter name)
    flags: tuple[str, ...]  # command-line spellings; () when there is no flag
    key: str | None  # the functionConfig key (spec.<key>, data.<key>); None: flags only
    kind: Kind
    help: str
    metavar: str | None = None
    bounds: tuple[int, int | None] = (0, None)  # Kind.COUNT: smallest and largest value
    appends: bool = False  # the configuration's values run after the flags', not instead


FIELDS: tuple[Field, ...] = (
    Field("output", ("-o", "--output"), None, Kind.OUTPUT_FILE,
          "Write the hardened stream to FILE (atomically, keeping its mode) instead of stdout; "
          "also with --check and --diff. - is stdout."),
    Field("enable", ("--enable",), "enable", Kind.IDS,
          "Run only this hardening (repeatable).", "ID"),
    Field("disable", ("--disable",), "disable", Kind.IDS,
          "Do not run this hardening (repeatable).", "ID"),
    Field("check", ("--check",), "check", Kind.SWITCH,
          "Print nothing on stdout; exit 1 if anything would change."),
    Field("show_diff", ("--diff",), None, Kind.SWITCH,
          "Print a unified diff per file (patch -p0 applies it) instead of the stream."),
    Field("strict", ("--strict",), "strict", Kind.SWITCH,
          "A hardening kept back by a guard is an error."),
    Field("sidecars", ("--sidecars",), "sidecars", Kind.SWITCH,
          "Also harden sidecar containers of proxy pods (sds, istio-proxy, …)."),
    Field("results_file", ("--results",), None, Kind.OUTPUT_FILE,
          "Write every result to FILE (- is stdout, with -o FILE or --check)."),
    Field("results_format", ("--results-format",), None, Kind.FORMAT,
          "What --results writes: json (our list of results) or sarif (SARIF 2.1.0 for "
          "code-scanning views: a rule per hardening and guard, results by file and line)."),
    Field("quiet", ("-q", "--quiet"), None, Kind.SWITCH,
          "Show only warnings and errors on stderr (the summary only when the run fails)."),
    Field("plugin_config", ("--kustomize-plugin-config",), None, Kind.INPUT_FILE,
          "Run as a kustomize legacy exec plugin configured by FILE (see kustomize-plugin/).",
          "FILE"),
    Field("validate_all", ("--validate-all",), "validateAll", Kind.SWITCH,
          "Parse every document, not only those a hardening reads, so YAML errors anywhere in "
          "the stream are reported (slower)."),
    Field("max_input_bytes", ("--max-input-bytes",), None, Kind.SIZE,
          "Refuse more input than this, all files together (e.g. 1GiB).", "SIZE"),
    Field("max_documents", ("--max-documents",), None, Kind.COUNT,
          "Refuse a stream with more documents.", bounds=(1, None)),
    Field("max_depth", ("--max-depth",), None, Kind.COUNT,
          "Refuse a parsed document nested deeper.", bounds=(1, 5000)),
    Field("max_aliases", ("--max-aliases",), None, Kind.COUNT,
          "Refuse a parsed document whose YAML aliases expand to more extra nodes."),
    Field("patch_dirs", ("--patches",), "patches", Kind.FOLDERS,
          "Apply every *.yaml Hardening patch in DIR after the built-ins, in file-name order "
          "(repeatable).", "DIR", appends=True),
    Field("profile_names", ("--profile",), "profile", Kind.PROFILES,
          "Apply an opt-in profile after the built-ins, e.g. restricted (Pod Security Standards "
          "restricted for every Gloo pod). See `gloo-harden list`.", "NAME", appends=True),
    Field("fail_on_unmatched", ("--fail-on-unmatched",), "failOnUnmatched", Kind.SWITCH,
          "A --patches/--profile patch that matches nothing is an error, not a warning."),
    Field("fail_on_empty", ("--fail-on-empty",), "failOnEmpty", Kind.SWITCH,
          "Input without any Kubernetes object is an error (exit 1), not a warning (--strict "
          "implies it): a failed render upstream must not become an empty install."),
    Field("istio_injected", ("--istio-injected",), "istioInjected", Kind.NAMESPACES,
          "Istio injects sidecars into pods of NAMESPACE, as the cluster's namespace labels "
          "decide (repeatable; all: every namespace): its proxies keep the service-account "
          "token.", "NAMESPACE"),
    Field("assume_version", ("--assume-version",), "assumeVersion", Kind.RELEASE,
          "The release to assume when the stream does not show it (no helm.sh/chart label or "
          "image tag), e.g. kgateway-2.1.2 or gloo-1.19: Gateway API hardenings depend on it.",
          "PRODUCT-VERSION"),
    Field("separate_renders", ("--separate-renders",), "separateRenders", Kind.SWITCH,
          "Judge each FILE (KRM: each config.kubernetes.io/path) as a render of its own: "
          "evidence in one file keeps nothing back in another. Default: all files are one "
          "render (e.g. helm template --output-dir)."),
    Field("evidence", ("--evidence",), "evidence", Kind.PATHS,
          "Read the objects in PATH (a YAML or JSON file, or a folder of them; repeatable) as "
          "evidence for the guards: never written, hardened or counted. For kubectl get … -A "
          "-o yaml of the cluster and application teams' repositories; `gloo-harden explain "
          "evidence` prints what to collect. Under kpt/kustomize: a mounted path.", "PATH",
          appends=True),
)

#: the options of ``gloo-harden emit``: every run option, with -o and --check saying what
#: they mean there, and no --diff or plugin mode
EMIT_FIELDS: tuple[Field, ...] = tuple(
    Field("output", ("-o", "--output"), None, Kind.OUTPUT_PATH,
          "Write the artefact to PATH: a folder for kustomize (created), a file otherwise "
          "(stdout without -o).", "PATH") if f.name == "output" else
    Field("check", ("--check",), None, Kind.SWITCH,
          "Write nothing; exit 1 if the artefact at -o PATH is out of date (the render or "
          "the decisions changed).") if f.name == "check" else f
    for f in FIELDS if f.name not in ("show_diff", "plugin_config"))

#: functionConfig keys, sorted, for messages and documentation
CONFIG_KEYS = tuple(sorted(f.key for f in FIELDS if f.key))
_BY_KEY = {f.key: f for f in FIELDS if f.key}


class Problem(NamedTuple):
    """One thing wrong with the configuration: the field and the message."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ConfigProblems(ConfigError):
    """Everything wrong with one functionConfig, all named in the message (numbered when
    there are several)."""

    def __init__(self, problems: list[Problem]) -> None:
        if len(problems) == 1:
            message = str(problems[0])
        else:
            message = f"{len(problems)} problems: " + " ".join(
                f"({n}) {problem}" for n, problem in enumerate(problems, 1))
        super().__init__(message)
        self.problems = problems


def resolve(request: Request, config: Any = None) -> "tuple[Request, Options]":
    """``request`` with the choices of ``config`` (a functionConfig object, or None for none)
    applied, and the pipeline options of that run.

    Raises ``ConfigProblems`` for a functionConfig mistake (all of them), ``ConfigError`` for
    an unknown id or profile on the command line, ``PatchError`` for an unusable patch file.
    """
    from gloo_harden.gloo import release_detection
    from gloo_harden.run import hardenings, pipeline
    from gloo_harden.scopes import ScopeOptions

    problems: list[Problem] = []
    named: list[tuple[str, str]] = []  # (field path, id) of every id the configuration names
    if config is not None:
        request = _configured(request, config, problems, named)
    # profiles' and users' patches first: enable/disable may name them
    patches = hardenings.user_patches(request.patch_dirs, request.profile_names)
    known = set(hardenings.BUILTIN) | {p.id for p in patches}
    expected = ", ".join(sorted(known))
    problems += [Problem(where, f'unknown hardening "{hid}"; expected one of {expected}')
                 for where, hid in named if hid not in known]
    enable, disable = request.enable, request.disable
    both = [hid for hid in dict.fromkeys(enable) if hid in disable]  # a run that hardens
    for hid in both:  # nothing would pass every gate: named once, where the configuration does
        where = next((where for where, named_id in named if named_id == hid), None)
        if where is not None:
            problems.append(Problem(where, f'hardening "{hid}" is both enabled and disabled; '
                                    "expected it in one of enable and disable"))
    if problems:
        raise ConfigProblems(problems)
    for hid in request.enable + request.disable:  # the flags' (the configuration's are known)
        if hid not in known:
            raise ConfigError(f'hardening "{hid}": unknown id; expected one of {expected}')
    for hid in both:  # the flags' alone
        raise ConfigError(f'hardening "{hid}": both enabled and disabled; expected it in one '
                          "of them (a run that enables nothing would pass every gate)")
    for name in request.istio_injected:  # the flags' (the configuration's are checked)
        if not is_namespace(name):
            raise ConfigError(f'--istio-injected "{name}": not a namespace name; expected a '
                              'DNS label (lower-case letters, digits, "-") or all')
    return request, pipeline.Options(
        hardenings.chosen_patches(hardenings.builtin(), enable, disable), request.strict,
        ScopeOptions(sidecars=request.sidecars, istio_injected=request.istio_injected),
        request.limits, request.validate_all,
        patches=hardenings.chosen_patches(patches, enable, disable),
        fail_on_unmatched=request.fail_on_unmatched, fail_on_empty=request.fail_on_empty,
        assume_version=release_detection.parse_assumed(request.assume_version)
        if request.assume_version else None,
        separate_renders=request.separate_renders)


def _configured(request: Request, config: Any, problems: list[Problem],
                named: list[tuple[str, str]]) -> Request:
    """``request`` with the configuration's values; mistakes go to ``problems``."""
    if not isinstance(config, dict):
        problems.append(Problem("functionConfig", "not a mapping; expected a GlooHardening or "
                                "ConfigMap object"))
        return request
    kind, api_version = config.get("kind"), config.get("apiVersion")
    if kind == "ConfigMap" and api_version == "v1":
        values = _from_data(config.get("data"), problems)
    elif kind == KIND and api_version == API_VERSION:
        values = _from_spec(config, problems)
    elif kind == KIND:
        problems.append(Problem("apiVersion", f'"{api_version}" is not supported for kind '
                                f'{KIND}; expected "{API_VERSION}"'))
        return request
    else:
        problems.append(Problem("kind", f'"{kind}" (apiVersion "{api_version}") is not '
                                f"supported; expected {KIND} ({API_VERSION}) or ConfigMap (v1)"))
        return request
    changes: dict[str, Any] = {}
    for field, located in values:
        value: Any = tuple(item for _, item in located) if field.kind.is_list else located[0][1]
        if field.kind is Kind.IDS:
            named.extend(located)
        elif field.kind is Kind.FOLDERS:
            value = _existing_folders(located, problems)
        elif field.kind is Kind.PROFILES:
            value = _known_profiles(located, problems)
        elif field.kind is Kind.NAMESPACES:
            value = _namespaces(located, problems)
        elif field.kind is Kind.PATHS:
            value = _existing_paths(located, problems)
        if field.appends:
            value = getattr(request, field.name) + tuple(
                v for v in value if v not in getattr(request, field.name))
        changes[field.name] = value
    return request._replace(**changes)


# What a key held: the field and its entries with where each is (one entry for a switch).
_Values = list[tuple[Field, list[tuple[str, Any]]]]


def _from_spec(config: dict[Any, Any], problems: list[Problem]) -> _Values:
    problems += [Problem(str(key), "unknown field; expected one of apiVersion, kind, metadata, "
                         "spec") for key in config if key not in ("apiVersion", "kind",
                                                                   "metadata", "spec")]
    spec = config.get("spec")
    if spec is None:
        return []
    if not isinstance(spec, dict):
        problems.append(Problem("spec", "not a mapping; expected fields " + ", ".join(CONFIG_KEYS)))
        return []
    values: _Values = []
    for key, value in spec.items():
        where, field = f"spec.{key}", _BY_KEY.get(key)
        if field is None:
            problems.append(Problem(where, "unknown field; expected one of "
                                    + ", ".join(CONFIG_KEYS)))
        elif field.kind.is_list:
            if isinstance(value, list):
                values.append((field, _strings([(f"{where}[{i}]", v) for i, v in enumerate(value)],
                                               problems)))
            else:
                problems.append(Problem(where, f"{_shape(value)}; expected a list of "
                                        f"{field.kind.value}"))
        elif field.kind is Kind.RELEASE:
            values += _release(field, where, value, problems)
        elif isinstance(value, bool):
            values.append((field, [(where, value)]))
        else:
            problems.append(Problem(where, f"{_shape(value)}; expected true or false"))
    return values


def _from_data(data: Any, problems: list[Problem]) -> _Values:
    if data is None:  # kpt's no-argument default: an empty ConfigMap
        return []
    if not isinstance(data, dict):
        problems.append(Problem("data", f"{_shape(data)}; expected a mapping of strings"))
        return []
    values: _Values = []
    for key, value in data.items():
        where, field = f"data.{key}", _BY_KEY.get(key)
        text = str(value).lower() if isinstance(value, bool) else value  # a Kptfile's configMap
        if field is None:
            problems.append(Problem(where, "unknown key; expected one of "
                                    + ", ".join(CONFIG_KEYS)))
        elif not isinstance(text, str):
            problems.append(Problem(where, f"{_shape(value)}; expected a string"))
        elif field.kind.is_list:
            values.append((field, [(where, item.strip()) for item in text.split(",")
                                   if item.strip()]))
        elif field.kind is Kind.RELEASE:
            values += _release(field, where, text.strip(), problems)
        elif text.strip().lower() in _TRUE + _FALSE:
            values.append((field, [(where, text.strip().lower() in _TRUE)]))
        else:
            problems.append(Problem(where, f'"{text}" is not a boolean; expected "true" or '
                                    '"false"'))
    return values


def _release(field: Field, where: str, value: Any, problems: list[Problem]) -> _Values:
    """A PRODUCT-VERSION string, checked here so every problem shows in one run."""
    from gloo_harden.gloo.release_detection import parse_assumed

    if not isinstance(value, str):
        problems.append(Problem(where, f"{_shape(value)}; expected PRODUCT-VERSION, e.g. "
                                "kgateway-2.1.2"))
        return []
    try:
        parse_assumed(value, where)
    except ConfigError as exc:
        problems.append(Problem(where, str(exc).split(": ", 1)[1]))
        return []
    return [(field, [(where, value)])]


def _strings(items: list[tuple[str, Any]], problems: list[Problem]) -> list[tuple[str, Any]]:
    problems += [Problem(where, f"{_shape(item)}; expected a non-empty string")
                 for where, item in items if not isinstance(item, str) or not item]
    return [(where, item) for where, item in items if isinstance(item, str) and item]


def _existing_folders(located: list[tuple[str, str]], problems: list[Problem]) -> tuple[str, ...]:
    return _existing(located, problems, os.path.isdir, "is not a directory",
                     "a folder of patch files (in a container: a mounted folder)")


def _existing_paths(located: list[tuple[str, str]], problems: list[Problem]) -> tuple[str, ...]:
    return _existing(located, problems, os.path.exists, "does not exist",
                     "a file or folder of evidence (in a container: a mounted path)")


def _existing(located: list[tuple[str, str]], problems: list[Problem],
              present: "Callable[[str], bool]", wrong: str, expected: str) -> tuple[str, ...]:
    """The paths for which ``present`` holds; a problem for each other one."""
    problems += [Problem(where, f'"{item}" {wrong} (relative paths start at {os.getcwd()}); '
                         f"expected {expected}")
                 for where, item in located if not present(item)]
    return tuple(item for _, item in located if present(item))


def _known_profiles(located: list[tuple[str, str]], problems: list[Problem]) -> tuple[str, ...]:
    from gloo_harden.run.hardenings import profiles

    names = profiles()
    problems += [Problem(where, f'unknown profile "{item}"; expected one of {", ".join(names)}')
                 for where, item in located if item not in names]
    return tuple(item for _, item in located if item in names)


def _namespaces(located: list[tuple[str, str]], problems: list[Problem]) -> tuple[str, ...]:
    problems += [Problem(where, f'"{item}" is not a namespace name; expected a DNS label '
                         '(lower-case letters, digits, "-") or all')
                 for where, item in located if not is_namespace(item)]
    return tuple(item for _, item in located if is_namespace(item))


def is_namespace(name: str) -> bool:
    """A Kubernetes namespace name (an RFC 1123 label), or ``all``."""
    import re

    return re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", name) is not None


def _shape(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f'the string "{value}"'
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "null"
