"""``--evidence`` (functionConfig ``evidence``): the files and folders read, for every adapter.

I/O stays here; ``run.pipeline.read_evidence`` parses what is read (``gloo.evidence``).
"""

from __future__ import annotations

import os

from gloo_harden.errors import ConfigError, TransformerError
from gloo_harden.gloo.evidence import EXTENSIONS
from gloo_harden.run import pipeline
from gloo_harden.run.options import Request
from gloo_harden.yamltext import limits


def with_evidence(request: Request, options: pipeline.Options) -> pipeline.Options:
    """``options`` with the objects of ``request.evidence`` (``--evidence``, functionConfig
    ``evidence``): each file, and each ``*.yaml``/``*.yml``/``*.json`` of a folder (its
    subfolders too, in name order), read within the run's byte budget and parsed.

    Raises ``ConfigError`` for a path that does not exist, ``TransformerError`` for one that
    cannot be read, ``InputError`` for a document that is not YAML.
    """
    if not request.evidence:
        return options
    names: list[str] = []
    for path in request.evidence:
        if os.path.isdir(path):
            names += sorted(os.path.join(folder, name) for folder, _, files in os.walk(path)
                            for name in files if name.endswith(EXTENSIONS))
        elif os.path.exists(path):
            names.append(path)
        else:
            raise ConfigError(f'--evidence "{path}": no such file or folder; expected a file '
                              "or folder of objects (kubectl get … -A -o yaml), in a container "
                              "a mounted path")
    budget = request.max_input_bytes
    sources = []
    for name in names:
        try:
            with open(name, "rb") as handle:
                data = limits.read_limited(handle, name, budget)
        except OSError as exc:
            raise TransformerError(f"{name}: cannot read ({exc.strerror}); expected a readable "
                                   "evidence file") from None
        budget -= len(data)
        sources.append(pipeline.Source(name, data))
    return options._replace(evidence=pipeline.read_evidence(sources, options))
