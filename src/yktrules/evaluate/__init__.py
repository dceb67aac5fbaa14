"""Evaluating the checked rule tree (``ir``) for one application: the compiled closures of
the fast path (:mod:`.compiler`) and the reference interpreter that is their oracle
(:mod:`.interpreter`).  May import ``ir`` only.
"""
