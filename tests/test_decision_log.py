"""The tamper-evident decision log (yktrules.log): the entry format, the hash
chain, concurrent appends from several processes, and verification that names the first
bad line."""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import yktrules
from pii_facts import CARD, ID, facts, person
from yktrules.cli import cli
from yktrules.errors import ArgumentError
from yktrules.facts.privacy import mask_id
from yktrules.log.chain import (
    GENESIS,
    DecisionLog,
    LogError,
    canonical,
    entry_hash,
    facts_digest,
    verify_log,
)

AT = datetime(2026, 11, 26, 8, 0, 0, 123456, tzinfo=UTC)


def _facts(name: str = "李秀英") -> dict[str, Any]:
    doc = facts(me=person(name=name))
    doc["household"]["deposits"] = "1200.50"
    return doc


def _decision(message: str = "ok", n: int = 0) -> dict[str, Any]:
    return {
        "item": "T-1",
        "policy": "T-1",
        "title": "测试",
        "version": "sha256:" + "ab" * 32,
        "as_of": "2024-05-01",
        "outcome": "review",
        "reasons": [{"rule": f"r{n}", "kind": "review", "message": message, "source": "t:4"}],
        "unknown": [],
        "amount": None,
        "period": "monthly",
    }


# ---- the entries ---------------------------------------------------------------------------


def test_entries_chain_and_hash(tmp_path: Path) -> None:
    path = tmp_path / "d.log"
    log = DecisionLog(path)
    e1 = log.append(_decision(), _facts(), actor="caseworker-017", request="REQ-1", at=AT)
    e2 = log.append(_decision(), None, actor="caseworker-017", at=AT + timedelta(seconds=1))
    assert e1["seq"] == 1 and e1["prev"] == GENESIS == "sha256:" + "0" * 64
    assert e1["at"] == "2026-11-26T08:00:00.123456+00:00"
    assert e1["request"] == "REQ-1" and e1["actor"] == "caseworker-017"
    assert e1["facts_digest"] == facts_digest(_facts())
    assert "facts" not in e1
    assert e2["seq"] == 2 and e2["prev"] == e1["hash"] and e2["facts_digest"] is None
    assert e2["request"] is None
    for e in (e1, e2):
        body = {k: v for k, v in e.items() if k != "hash"}
        text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        assert e["hash"] == "sha256:" + __import__("hashlib").sha256(text.encode()).hexdigest()
        assert e["hash"] == entry_hash(e)
    lines = path.read_bytes().split(b"\n")
    assert lines == [canonical(e1), canonical(e2), b""]
    assert set(json.loads(lines[0])) == {
        "seq", "at", "actor", "request", "decision", "facts_digest", "prev", "hash",
    }  # fmt: skip
    r = verify_log(path)
    assert (r.ok, r.entries, r.head, r.line, r.problem) == (True, 2, e2["hash"], None, None)
    assert log.head() == (2, e2["hash"])
    assert DecisionLog(tmp_path / "none.log").head() == (0, GENESIS)


def test_append_all_writes_consecutive_entries_digesting_the_facts_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yktrules.log.chain as dl

    path = tmp_path / "d.log"
    log = DecisionLog(path)
    first = log.append(_decision(), None, actor="a", at=AT)
    digests: list[object] = []
    real = dl.facts_digest
    monkeypatch.setattr(dl, "facts_digest", lambda f: digests.append(f) or real(f))
    batch = log.append_all([_decision(), _decision()], _facts(), actor="b", request="R", at=AT)
    assert len(digests) == 1
    assert [e["seq"] for e in batch] == [2, 3]
    assert batch[0]["prev"] == first["hash"] and batch[1]["prev"] == batch[0]["hash"]
    assert {e["facts_digest"] for e in batch} == {real(_facts())}
    assert log.append_all([], _facts(), actor="b") == []
    assert path.read_bytes().split(b"\n") == [canonical(e) for e in (first, *batch)] + [b""]
    assert verify_log(path).ok and log.head() == (3, batch[1]["hash"])


def test_a_real_decision_with_masked_messages_and_facts(tmp_path: Path) -> None:
    pol = tmp_path / "pol"
    pol.mkdir()
    (pol / "t.ykt").write_text(
        'policy "T-1" "测试" {\n region: "510000"\n effective: 2020-01-01\n'
        ' review who "请核实{applicant.id_number}": true\n amount: 10\n}\n',
        encoding="utf-8",
    )
    d = yktrules.load(pol).screen(_facts(), policy="T-1")
    masked = DecisionLog(tmp_path / "m.log", include_facts=True).append(d, _facts(), actor="a")
    assert masked["decision"]["reasons"][0]["message"] == f"请核实{mask_id(ID)}"
    assert masked["decision"]["version"] == d.version
    assert masked["facts"]["applicant"]["id_number"] == mask_id(ID)
    assert masked["facts"]["applicant"]["name"] == "李*英"
    assert masked["facts"]["household"]["deposits"] == "1200.50"
    text = (tmp_path / "m.log").read_text(encoding="utf-8")
    assert ID not in text and CARD not in text
    full = DecisionLog(tmp_path / "u.log", include_facts=True, unmask=True).append(
        d, _facts(), actor="a"
    )
    assert full["decision"] == d.to_dict()
    assert full["facts"]["applicant"]["id_number"] == ID
    assert full["facts_digest"] == masked["facts_digest"]
    assert verify_log(tmp_path / "m.log").ok and verify_log(tmp_path / "u.log").ok


def test_facts_digest_is_of_the_validated_facts() -> None:
    f = _facts()
    zh = {
        "申请": {"申请编号": "A1", "申请日期": "2024-05-01", "申请地": "511025"},
        "申请人": f["applicant"],
        "家庭": {"成员": f["household"]["members"], "存款": "1200.50"},
    }
    digest = facts_digest(f)
    assert digest.startswith("sha256:") and len(digest) == 7 + 64
    assert facts_digest(json.dumps(f, ensure_ascii=False)) == digest
    assert facts_digest(yktrules.parse_facts(f)) == digest
    assert facts_digest(zh) == digest
    assert facts_digest(_facts(name="李秀")) != digest
    with pytest.raises(yktrules.FactsError):
        facts_digest({"application": {}})


def test_bad_arguments(tmp_path: Path) -> None:
    log = DecisionLog(tmp_path / "d.log")
    with pytest.raises(ArgumentError):
        log.append(_decision(), actor="")
    with pytest.raises(ArgumentError):
        log.append(_decision(), actor="a", at=datetime(2026, 1, 1))  # no time zone
    with pytest.raises(ArgumentError):
        log.append("not a decision", actor="a")  # type: ignore[arg-type]
    with pytest.raises(yktrules.FactsError):
        log.append(_decision(), {"applicant": {}}, actor="a")
    assert not (tmp_path / "d.log").exists() or (tmp_path / "d.log").read_bytes() == b""
    cst = timezone(timedelta(hours=8))
    e = log.append(_decision(), actor="a", at=datetime(2026, 1, 1, 8, tzinfo=cst))
    assert e["at"] == "2026-01-01T08:00:00+08:00"


def test_long_lines_are_read_backwards(tmp_path: Path) -> None:
    """Lines longer than the block read from the end (4096 bytes) chain all the same."""
    log = DecisionLog(tmp_path / "d.log")
    for n in range(3):
        log.append(_decision("长" * (3000 * n + 10), n), actor="a")
    r = verify_log(tmp_path / "d.log")
    assert r.ok and r.entries == 3


def test_a_torn_last_line_stops_appends(tmp_path: Path) -> None:
    path = tmp_path / "d.log"
    log = DecisionLog(path)
    log.append(_decision(), actor="a")
    good = path.read_bytes()
    path.write_bytes(good + good[:40])  # a crash in the middle of the second write
    with pytest.raises(LogError, match="torn"):
        log.append(_decision(), actor="a")
    r = verify_log(path)
    assert (r.ok, r.line, r.entries) == (False, 2, 1)
    assert "换行符" in (r.problem or "")
    path.write_bytes(good + b"{not json}\n")
    with pytest.raises(LogError):
        log.append(_decision(), actor="a")


# ---- several processes -----------------------------------------------------------------------


def _appender(path: str, who: str, n: int) -> None:
    log = DecisionLog(path)
    for i in range(n):
        log.append(_decision(f"{who}-{i}", i), actor=who, request=f"{who}-{i}")


def test_several_processes_append_to_one_log(tmp_path: Path) -> None:
    path = str(tmp_path / "d.log")
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    procs = [ctx.Process(target=_appender, args=(path, f"p{k}", 50)) for k in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    r = verify_log(path)
    assert r.ok and r.entries == 200
    entries = [json.loads(x) for x in Path(path).read_text(encoding="utf-8").splitlines()]
    assert [e["seq"] for e in entries] == list(range(1, 201))
    for k in range(4):
        mine = [e["request"] for e in entries if e["actor"] == f"p{k}"]
        assert mine == [f"p{k}-{i}" for i in range(50)]  # each process's own order kept


# ---- tampering ------------------------------------------------------------------------------


@functools.cache
def _log_bytes(n: int) -> bytes:
    """A log of n entries: Chinese text, a control character (JSON-escaped) and facts."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "d.log")
        log = DecisionLog(path, include_facts=True)
        for i in range(n):
            log.append(
                _decision(f"第{i}条\x01说明", i),
                _facts() if i % 2 else None,
                actor="办事员",
                request=None if i % 3 else f"R{i}",
                at=AT + timedelta(seconds=i),
            )
        return Path(path).read_bytes()


def _verify(data: bytes, **kw: Any) -> Any:
    fd, path = tempfile.mkstemp(prefix="yktrules-log-test-", suffix=".log")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return verify_log(path, **kw)
    finally:
        os.unlink(path)


def _lines(n: int) -> list[bytes]:
    return _log_bytes(n).splitlines(keepends=True)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 5), st.data())
def test_changing_any_byte_fails_at_its_line(n: int, data: st.DataObject) -> None:
    """The line reported is the line that held the changed byte: a line's newline belongs
    to it (changing it joins the next line onto it; changing a byte into a newline cuts
    the line, whose first part is reported)."""
    orig = _log_bytes(n)
    pos = data.draw(st.integers(0, len(orig) - 1), label="pos")
    new = data.draw(st.integers(0, 255).filter(lambda b: b != orig[pos]), label="byte")
    changed = orig[:pos] + bytes([new]) + orig[pos + 1 :]
    r = _verify(changed)
    assert not r.ok
    assert r.line == orig[:pos].count(b"\n") + 1
    assert r.entries == r.line - 1
    assert r.problem


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 6), st.data())
def test_deleting_duplicating_or_swapping_entries(n: int, data: st.DataObject) -> None:
    lines = _lines(n)
    k = data.draw(st.integers(0, n - 1), label="k")
    op = data.draw(st.sampled_from(["delete", "duplicate", "swap", "blank"]), label="op")
    if op == "delete":
        got = lines[:k] + lines[k + 1 :]
        bad = None if k == n - 1 else k + 1  # the last entry: only an anchor sees it
    elif op == "duplicate":
        got, bad = lines[: k + 1] + [lines[k]] + lines[k + 1 :], k + 2
    elif op == "blank":
        got, bad = lines[:k] + [b"\n"] + lines[k:], k + 1
    else:
        k = min(k, n - 2)
        got, bad = lines[:k] + [lines[k + 1], lines[k]] + lines[k + 2 :], k + 1
    r = _verify(b"".join(got))
    assert r.line == bad
    assert r.ok is (bad is None)
    if op == "blank":
        assert r.problem == "空行"


def test_a_forged_entry_breaks_the_next_line(tmp_path: Path) -> None:
    lines = _lines(3)
    first = json.loads(lines[0])
    forged = dict(first, seq=2, prev=first["hash"], actor="冒名")
    forged["hash"] = entry_hash(forged)
    r = _verify(b"".join([lines[0], canonical(forged) + b"\n", *lines[1:]]))
    assert (r.ok, r.line, r.entries) == (False, 3, 2)  # the forged line itself chains


def test_expect_head_finds_a_truncated_log() -> None:
    lines = _lines(4)
    heads = [json.loads(x)["hash"] for x in lines]
    whole = b"".join(lines)
    assert _verify(whole, expect_head=heads[-1]).ok
    assert _verify(whole, expect_head=heads[1]).ok  # an older anchor: the log grew since
    cut = b"".join(lines[:3])
    assert _verify(cut).ok  # the file alone cannot tell
    r = _verify(cut, expect_head=heads[-1])
    assert (r.ok, r.line, r.entries, r.head) == (False, None, 3, heads[2])
    assert "截断" in (r.problem or "")
    r = _verify(b"", expect_head=heads[0])
    assert not r.ok and r.entries == 0 and r.head is None
    assert _verify(b"").ok


def test_problems_are_named() -> None:
    lines = _lines(2)
    e = json.loads(lines[1])

    def problem(second: bytes) -> str:
        r = _verify(lines[0] + second)
        assert r.line == 2
        return r.problem or ""

    assert "UTF-8" in problem(b"\xff\xfe\n")
    assert "JSON" in problem(b"{oops\n")
    assert "JSON 对象" in problem(b"[1]\n")
    assert "缺少键：hash" in problem(canonical({k: v for k, v in e.items() if k != "hash"}) + b"\n")
    assert "改动" in problem(canonical(dict(e, actor="x")) + b"\n")
    assert "prev" in problem(canonical(dict(e, prev=GENESIS)) + b"\n")
    pretty = json.dumps(e, ensure_ascii=False).encode()  # same content, other spacing
    assert "规范" in problem(pretty + b"\n")


# ---- the command line -------------------------------------------------------------------------


def test_log_verify_command(tmp_path: Path) -> None:
    runner = CliRunner()
    path = tmp_path / "d.log"
    lines = _lines(3)
    path.write_bytes(b"".join(lines))
    head = json.loads(lines[-1])["hash"]
    r = runner.invoke(cli, ["log", "verify", str(path)])
    assert r.exit_code == 0, r.output
    assert "3 条记录" in r.output and head in r.output
    assert runner.invoke(cli, ["log", "verify", str(path), "--expect-head", head]).exit_code == 0
    path.write_bytes(lines[0] + lines[2])
    r = runner.invoke(cli, ["log", "verify", str(path)])
    assert r.exit_code == 1
    assert f"{path}:2: 序号应为 2，实际为 3" in r.output
    path.write_bytes(lines[0] + lines[1])
    r = runner.invoke(cli, ["log", "verify", str(path), "--expect-head", head])
    assert r.exit_code == 1 and "截断" in r.output
    r = runner.invoke(cli, ["log", "verify", str(tmp_path / "missing.log")])
    assert r.exit_code == 2 and "no such file" in r.output
    r = runner.invoke(cli, ["log", "verify", str(tmp_path)])
    assert r.exit_code == 2
    assert "Traceback" not in r.output
