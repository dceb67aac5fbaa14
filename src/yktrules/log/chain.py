"""The tamper-evident decision log (决策日志): append-only JSON Lines, hash-chained.

One entry per decision::

    {"seq": 1, "at": "2026-11-26T08:00:00.123456+00:00", "actor": "caseworker-017",
     "request": "host request id or null", "decision": {...the decision document...},
     "facts_digest": "sha256:...", "facts": {...only with include_facts...},
     "prev": "sha256:<hash of the previous entry; 64 zeros for the first>",
     "hash": "sha256:<sha256 of this entry's canonical JSON without 'hash'>"}

Each line is the entry's canonical JSON (:func:`canonical`) and a newline.  Editing,
deleting, inserting or reordering entries breaks the chain at that line
(:func:`verify_log`); deleting the *last* entries is only seen against a head hash kept
elsewhere (``expect_head``).  Appends take an exclusive lock on the file, so several
processes may append to one log.  Messages and facts are masked unless ``unmask``.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import attrs
from pydantic import BaseModel

from ..errors import ArgumentError, YktError
from ..facts import parse_facts
from ..facts.privacy import mask_document, mask_model
from ..screening.decision import Decision

try:  # POSIX
    import fcntl

    def _lock(f: IO[bytes]) -> None:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)

    def _unlock(f: IO[bytes]) -> None:
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)

except ImportError:  # pragma: no cover - Windows
    import msvcrt

    def _lock(f: IO[bytes]) -> None:
        f.seek(0)
        while True:
            try:  # the first byte stands for the file; LK_LOCK retries for 10 seconds
                msvcrt.locking(f.fileno(), msvcrt.LK_LOCK, 1)  # type: ignore[attr-defined]
                return
            except OSError:
                continue

    def _unlock(f: IO[bytes]) -> None:
        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]


__all__ = [
    "GENESIS",
    "KEYS",
    "DecisionLog",
    "LogError",
    "LogReport",
    "canonical",
    "entry_hash",
    "facts_digest",
    "verify_log",
]

#: The ``prev`` of the first entry.
GENESIS = "sha256:" + "0" * 64

#: The keys every entry has (``facts`` is optional).
KEYS = ("seq", "at", "actor", "request", "decision", "facts_digest", "prev", "hash")

_BLOCK = 4096


class LogError(YktError):
    """The log cannot be appended to (its last line is damaged) or an entry is malformed."""


def canonical(obj: Any) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8 (not ASCII-escaped)."""
    text = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.encode("utf-8")


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def entry_hash(entry: Mapping[str, Any]) -> str:
    """The ``hash`` of an entry: of its canonical JSON without the ``hash`` key."""
    return _sha256(canonical({k: v for k, v in entry.items() if k != "hash"}))


def _facts_model(facts: Any) -> BaseModel:
    return facts if isinstance(facts, BaseModel) else parse_facts(facts)


def facts_digest(facts: Any) -> str:
    """The digest of a facts document (dict, JSON text or model), as validated: the same
    facts give the same digest whatever their form or key language."""
    return _sha256(canonical(_facts_model(facts).model_dump(mode="json")))


# ---- appending ---------------------------------------------------------------------------


def _last_line(f: IO[bytes]) -> bytes | None:
    """The file's last line, read backwards from the end; None for an empty file."""
    end = f.seek(0, os.SEEK_END)
    if end == 0:
        return None
    tail = b""
    pos = end
    while pos > 0:
        step = min(_BLOCK, pos)
        pos -= step
        f.seek(pos)
        tail = f.read(step) + tail
        cut = tail.rfind(b"\n", 0, len(tail) - 1)
        if cut >= 0:
            return tail[cut + 1 :]
    return tail


def _chain_end(f: IO[bytes], path: str) -> tuple[int, str]:
    """(seq, hash) of the last entry; (0, GENESIS) for an empty log."""
    raw = _last_line(f)
    if raw is None:
        return 0, GENESIS
    where = f"决策日志 {path} 的最后一行"
    if not raw.endswith(b"\n"):
        raise LogError(
            f"{where}不完整（没有换行符，可能是写入中断），请先用 `yktrules log verify` 检查 / "
            "the log ends in a torn line"
        )
    try:
        last = json.loads(raw)
        seq, h = last["seq"], last["hash"]
    except (ValueError, TypeError, KeyError):
        raise LogError(f"{where}不是有效的日志条目 / the last line is not an entry") from None
    if type(seq) is not int or not isinstance(h, str):
        raise LogError(f"{where}的 seq 或 hash 无效 / the last entry is malformed")
    return seq, h


def _document(decision: Decision | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(decision, Decision):
        return decision.to_dict()
    if isinstance(decision, Mapping):
        return dict(decision)
    raise ArgumentError(f"decision 须为 Decision 或决定文档，而不是 {type(decision).__name__}")


def _timestamp(at: datetime | None) -> str:
    if at is None:
        return datetime.now(UTC).isoformat()
    if not isinstance(at, datetime) or at.utcoffset() is None:
        raise ArgumentError(f"at 须为带时区的 datetime，而不是 {at!r}")
    return at.isoformat()


class DecisionLog:
    """Appends decisions to the log at `path` (created when missing).

    With `include_facts` each entry also holds the facts, masked
    (:func:`yktrules.facts.privacy.mask_model`) unless `unmask`; the decision's messages are
    masked the same way.  One instance per process is enough and is thread-safe; several
    processes may append to the same file at once.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, include_facts: bool = False, unmask: bool = False
    ):
        self.path = os.fspath(path)
        self.include_facts = include_facts
        self.unmask = unmask
        self._mutex = threading.Lock()

    def head(self) -> tuple[int, str]:
        """(seq, hash) of the last entry, (0, :data:`GENESIS`) for an empty or missing log;
        reads only the end of the file.  Raises :class:`LogError` when the last line is
        damaged."""
        try:
            with self._mutex, open(self.path, "rb") as f:
                return _chain_end(f, self.path)
        except FileNotFoundError:
            return 0, GENESIS

    def append(
        self,
        decision: Decision | Mapping[str, Any],
        facts: Any = None,
        *,
        actor: str,
        request: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Append one decision (a :class:`~yktrules.Decision` or its document) with the
        facts it was made from (dict, JSON text or model; optional) and return the entry
        as written.  Raises :class:`~yktrules.FactsError` for invalid facts,
        :class:`LogError` when the log's last line is damaged, ``OSError`` when the file
        cannot be written."""
        return self.append_all([decision], facts, actor=actor, request=request, at=at)[0]

    def append_all(
        self,
        decisions: Sequence[Decision | Mapping[str, Any]],
        facts: Any = None,
        *,
        actor: str,
        request: str | None = None,
        at: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """Append the decisions made from one set of facts (``screen_all``'s, say), one
        entry each, consecutive in the log: as :meth:`append`, with the facts validated and
        digested once and the file locked and synced once."""
        if not isinstance(actor, str) or not actor.strip():
            raise ArgumentError("actor 须为非空字符串 / actor must be a non-empty string")
        if request is not None and not isinstance(request, str):
            raise ArgumentError(f"request 须为字符串或 None，而不是 {type(request).__name__}")
        common: dict[str, Any] = {"facts_digest": None}
        if facts is not None:
            model = _facts_model(facts)
            common["facts_digest"] = facts_digest(model)
            if self.include_facts:
                common["facts"] = mask_model(model, unmask=self.unmask)
        stamp = _timestamp(at)
        entries: list[dict[str, Any]] = []
        for decision in decisions:
            doc = _document(decision)
            entries.append(
                {
                    "at": stamp,
                    "actor": actor,
                    "request": request,
                    "decision": doc if self.unmask else mask_document(doc),
                    **common,
                }
            )
        if not entries:
            return entries
        with self._mutex, open(self.path, "a+b") as f:
            _lock(f)
            try:
                seq, prev = _chain_end(f, self.path)
                for entry in entries:
                    seq += 1
                    entry["seq"] = seq
                    entry["prev"] = prev
                    entry["hash"] = prev = entry_hash(entry)
                f.seek(0, os.SEEK_END)
                f.write(b"".join(canonical(e) + b"\n" for e in entries))
                f.flush()
                os.fsync(f.fileno())
            finally:
                _unlock(f)
        return entries


# ---- verifying ---------------------------------------------------------------------------


@attrs.frozen
class LogReport:
    """What :func:`verify_log` found: `entries` intact entries (before the first bad line),
    `head` the hash of the last of them, `line` the first bad line (1-based) and
    `problem` what is wrong with it (Chinese), both None when `ok`."""

    ok: bool
    entries: int
    head: str | None
    line: int | None = None
    problem: str | None = None


def _check_line(raw: bytes, seq: int, prev: str) -> tuple[dict[str, Any] | None, str | None]:
    """The entry on one line, or the problem with it."""
    if not raw.endswith(b"\n"):
        return None, "行末没有换行符：最后一次写入可能中断（torn write）"
    content = raw[:-1]
    if not content.strip():
        return None, "空行"
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as e:
        return None, f"不是 UTF-8 编码（第 {e.start + 1} 个字节）"
    try:
        entry = json.loads(text)
    except ValueError as e:
        return None, f"不是有效的 JSON：{e}"
    if not isinstance(entry, dict):
        return None, "不是 JSON 对象"
    missing = [k for k in KEYS if k not in entry]
    if missing:
        return None, "缺少键：" + "、".join(missing)
    if type(entry["seq"]) is not int:
        return None, f"seq 应为整数，实际为 {entry['seq']!r}"
    if entry["seq"] != seq + 1:
        return None, (f"序号应为 {seq + 1}，实际为 {entry['seq']}：条目被删除、插入或调换了顺序")
    if entry["prev"] != prev:
        return None, "prev 与上一条的 hash 不符：条目被删除、插入、调换或上一条被改动"
    if entry["hash"] != entry_hash(entry):
        return None, "hash 与内容不符：条目被改动"
    if canonical(entry) != content:
        return None, "不是规范格式的 JSON：这一行被改动过"
    return entry, None


def verify_log(path: str | os.PathLike[str], *, expect_head: str | None = None) -> LogReport:
    """Check the whole chain of the log at `path`, reading it line by line, and report the
    first bad line.  With `expect_head` (a hash noted earlier, e.g. the head printed by a
    past verify) the log must still hold that entry: a log cut back to before it fails.
    Raises ``OSError`` when the file cannot be read."""
    seq, prev, found = 0, GENESIS, expect_head is None
    with Path(path).open("rb") as f:
        for n, raw in enumerate(f, 1):
            entry, problem = _check_line(raw, seq, prev)
            if entry is None:
                head = None if seq == 0 else prev
                return LogReport(False, seq, head, n, problem)
            seq, prev = entry["seq"], entry["hash"]
            found = found or prev == expect_head
    head = None if seq == 0 else prev
    if not found:
        return LogReport(
            False,
            seq,
            head,
            None,
            f"日志中没有预期的条目 {expect_head}：日志被截断（删除了最后的条目）或被改写",
        )
    return LogReport(True, seq, head)
