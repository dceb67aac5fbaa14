"""What a batch run did (:class:`Summary`): rows in (= rows out), rows screened, error rows
by type, decisions by (item, outcome), and where the time went."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import attrs


@attrs.define
class Summary:
    """What a run did: rows in (= rows out), rows screened, error rows by type, decisions
    by (item, outcome), and where the time went."""

    rows: int = 0
    screened: int = 0
    errors: Counter[str] = attrs.field(factory=Counter)
    decisions: Counter[tuple[str, str]] = attrs.field(factory=Counter)
    seconds: float = 0.0
    validate_seconds: float = 0.0  # in the worker thread, overlapping the rest
    engine_seconds: float = 0.0
    write_seconds: float = 0.0
    #: the rows an engine other than Python left to the Python engine (facts its SQL does
    #: not accept, no policy in force, or all it had not delivered when its query failed)
    python_rows: int = 0
    #: why the engine's query failed, when it did (the rest then went to the Python engine)
    fallback: str = ""

    @property
    def outcomes(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for (_, outcome), n in self.decisions.items():
            out[outcome] += n
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "screened": self.screened,
            "errors": dict(sorted(self.errors.items())),
            "decisions": sum(self.decisions.values()),
            "outcomes": dict(sorted(self.outcomes.items())),
            "seconds": round(self.seconds, 3),
        }

    def add_row(self, row: Mapping[str, Any]) -> None:
        """Count one result row of the Python engine."""
        self.rows += 1
        if "error" in row:
            self.errors[row["error"]["type"]] += 1
            return
        self.screened += 1
        for d in row["decisions"]:
            self.decisions[(d["item"], d["outcome"])] += 1
