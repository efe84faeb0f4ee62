"""``python -m gloo_harden``: the same entry point as the ``gloo-harden`` script."""

from __future__ import annotations

from gloo_harden.cli import main

if __name__ == "__main__":  # pragma: no cover - exercised through subprocess tests
    main()
