"""Synthetic data, deterministic by seed, for benchmarks, tests and demonstrations; never used
by screening itself.  May import ``facts`` and ``roster`` (models and writers).

- :mod:`.applications`: realistic Neijiang households as facts documents (``yktrules synth``);
- :mod:`.roster`: payment rosters with planted frauds and the findings the audits must report
  (``yktrules synth-roster``); :mod:`.standards`: the per-item amounts such a roster pays.
"""
