"""A policy folder as one checked set, as OPA loads a bundle: find the ``.ykt`` and
``.params.yaml`` files, parse, check, and keep the result in a content-keyed compile cache.
May import ``lang``, ``checker``, ``params``, ``ir`` and ``facts``.

- :mod:`.loader`: reading the folder and checking it (problems become diagnostics);
- :mod:`.cache`: the compile cache (``~/.cache/yktrules``).
"""
