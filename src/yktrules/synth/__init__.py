"""Synthetic data, deterministic by seed, for benchmarks, tests and demonstrations; never used
by screening itself.  May import ``roster``, ``facts``, ``bundle`` and ``params``.

- :mod:`.people` and :mod:`.applications`: realistic Neijiang households as facts documents
  (``yktrules synth``);
- :mod:`.roster`: payment rosters with planted frauds and the findings the audits must report
  (``yktrules synth-roster``); :mod:`.standards`: the per-item amounts such a roster pays.
"""

from .applications import NEIJIANG, REGIONS, application, population, write_jsonl
from .roster import synth_roster

__all__ = ["NEIJIANG", "REGIONS", "application", "population", "synth_roster", "write_jsonl"]
