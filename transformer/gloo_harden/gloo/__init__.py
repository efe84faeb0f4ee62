"""What gloo-harden knows about Gloo, kgateway and the clients that render them.

- ``index``: ``StreamIndex``, the stream's resources by kind, with the proxies and controllers;
- ``release_detection``: which generation and version a stream was rendered from (``Generation``);
- ``releases``: what gloo-harden does for each release line (``list``, ``explain releases``);
- ``deployer_defaults``: what kgateway's deployer writes into every proxy's Envoy container;
- ``parameters_merge``: what the Gateway-API deployers merge each GatewayParameters over;
- ``embedded``: Gloo objects carried inside ConfigMaps and Jobs;
- ``helm_hooks``: what Helm hooks hide from a Helm 3 post-renderer;
- ``evidence``: the kinds of objects guards read (``ObjectKind``, ``Reads``), what cannot be
  seen (``Unseen``), and the objects read from ``--evidence`` (``Evidence``);
- ``clients``: which client handed the stream over (an edge module: it reads ``/proc``);
- ``additions``: objects gloo-harden adds to the stream;
- ``optout``: the ``gloo-harden.dev/skip`` annotation checked.

May import: ``resources``, ``yamltext`` and ``gloo_harden.errors`` (``tests/test_layering.py``).
"""
