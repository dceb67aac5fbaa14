"""A cache of checked policy sets, keyed by content.

Parsing and checking a library costs far more than reading back its result, so `load`
keeps the checked policies, the parameter tables and the diagnostics (warnings) of every
set that loaded without errors in a cache directory, one file per set.  The file's name is
a sha256 over everything the result depends on: the yktrules version and code, this
module's format number, every source file's path and text, the facts schema (its JSON
schema) and the host functions' names and signatures.  Any change makes a new key; an entry
is never updated in place.

The compiled closures are not cached (they cannot be pickled); they are rebuilt from the
checked policies, which takes a few milliseconds.

Reading the cache never fails a load: an unreadable, corrupt or incompatible entry is
ignored (and rewritten), and a directory that cannot be written only means nothing is
saved.  Entries are written to a temporary file and renamed into place, so a reader never
sees half a file.  Only the newest `MAX_ENTRIES` entries are kept."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .. import ir
from .._version import __version__
from ..errors import Diagnostic
from ..ir import types as T
from ..ir.functions import HostFunction
from ..lang.grammar import grammar_path
from ..params import ParamTable
from .loader import Loaded, Sources, load_sources

FORMAT = 1  # bump when what an entry holds changes shape
MAX_ENTRIES = 64
SUFFIX = ".checked.pickle"
ENV_VAR = "YKTRULES_CACHE_DIR"

CacheSetting = bool | str | os.PathLike[str]


def default_dir() -> Path:
    """`$YKTRULES_CACHE_DIR` when set, else the platform's user cache directory:
    `$XDG_CACHE_HOME/yktrules` or `~/.cache/yktrules` on Linux, `~/Library/Caches/yktrules`
    on macOS, `%LOCALAPPDATA%\\yktrules\\Cache` on Windows."""
    own = os.environ.get(ENV_VAR)
    if own:
        return Path(own).expanduser()
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        base = Path(local) if local else Path.home() / "AppData" / "Local"
        return base / "yktrules" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "yktrules"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "yktrules"


def directory(setting: CacheSetting) -> Path | None:
    """The cache directory a `cache=` argument selects: None for False."""
    if setting is False:
        return None
    if setting is True:
        return default_dir()
    return Path(setting).expanduser()


@cache
def code_digest() -> str:
    """sha256 of yktrules' own modules and grammar: what parsing and checking run."""
    h = hashlib.sha256()
    pkg = Path(__file__).resolve().parents[1]
    files = sorted(pkg.rglob("*.py"))
    # the grammar: shipped in the wheel, or the repository's `grammars/` in a checkout
    files += sorted(grammar_path().parent.glob("*.lark"))
    for f in files:
        try:
            data = f.read_bytes()
        except OSError:
            data = b"?"
        name = f.relative_to(pkg).as_posix() if f.is_relative_to(pkg) else f.name
        h.update(f"\n{name} {len(data)}\n".encode())
        h.update(data)
    return h.hexdigest()


def key(sources: Sources, environment: str) -> str:
    """The entry's name: a sha256 over everything a checked set depends on.  `environment`
    digests the facts schema and the host functions (`policyset._environment_digest`)."""

    h = hashlib.sha256()
    h.update(
        f"yktrules {__version__} cache format {FORMAT} {sys.implementation.cache_tag}\n".encode()
    )
    h.update(f"code {code_digest()}\nenvironment {environment}\n".encode())
    for kind, files in (("policy", sources.policies), ("params", sources.params)):
        for path, text in files:
            data = text.encode()
            h.update(f"{kind} {len(path.encode())} {path} {len(data)}\n".encode())
            h.update(data)
    return h.hexdigest()


# ------------------------------------------------------------------ pickling
def _records(schema: type[BaseModel]) -> list[T.RecordT]:
    """Every record type of the facts schema, in a fixed order.  The checked IR refers to
    them; an entry names them by position instead of pickling the pydantic models."""
    out: list[T.RecordT] = []

    def walk(t: T.Type) -> None:
        if isinstance(t, T.ListT):
            walk(t.elem)
        elif isinstance(t, T.RecordT) and all(r is not t for r in out):
            out.append(t)
            for f in t.fields.values():
                walk(f.type)

    walk(T.record_type(schema))
    return out


def _record_name(r: T.RecordT) -> str:
    return f"{r.model.__module__}.{r.model.__qualname__}"


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, records: list[T.RecordT]):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._index = {id(r): i for i, r in enumerate(records)}

    def persistent_id(self, obj: Any) -> Any:
        if obj.__class__ is T.RecordT:
            i = self._index.get(id(obj))
            if i is not None:
                return ("record", i, _record_name(obj))
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, records: list[T.RecordT]):
        super().__init__(file)
        self._records = records

    def persistent_load(self, pid: Any) -> Any:
        if isinstance(pid, tuple) and len(pid) == 3 and pid[0] == "record":
            _, i, name = pid
            if isinstance(i, int) and 0 <= i < len(self._records):
                r = self._records[i]
                if _record_name(r) == name:
                    return r
        raise pickle.UnpicklingError(f"unknown record type {pid!r}")


def dumps(loaded: Loaded, entry_key: str, schema: type[BaseModel]) -> bytes:
    buf = io.BytesIO()
    entry = (FORMAT, entry_key, loaded.policies, loaded.params, loaded.diagnostics)
    _Pickler(buf, _records(schema)).dump(entry)
    return buf.getvalue()


def loads(data: bytes, entry_key: str, schema: type[BaseModel]) -> tuple[Any, ...] | None:
    """The entry's (policies, params, diagnostics), or None when it is not a valid entry of
    this key."""
    # tens of thousands of small objects: a cyclic collection in the middle of reading them
    # would cost more than the reading
    enabled = gc.isenabled()
    gc.disable()
    try:
        entry = _Unpickler(io.BytesIO(data), _records(schema)).load()
    finally:
        if enabled:
            gc.enable()
    if not (isinstance(entry, tuple) and len(entry) == 5):
        return None
    fmt, k, policies, params, diags = entry
    if fmt != FORMAT or k != entry_key:
        return None
    if not (
        isinstance(policies, dict)
        and all(isinstance(p, ir.CheckedPolicy) and c == p.code for c, p in policies.items())
        and isinstance(params, ParamTable)
        and isinstance(diags, list)
        and all(isinstance(d, Diagnostic) and not d.is_error for d in diags)
    ):
        return None
    return policies, params, diags


# ------------------------------------------------------------------ reading and writing
def load_checked(
    sources: Sources,
    schema: type[BaseModel],
    functions: Sequence[HostFunction],
    environment: str,
    setting: CacheSetting = True,
) -> Loaded:
    """`loader.load_sources`, through the cache that `setting` selects."""
    where = directory(setting)
    if where is None:
        return load_sources(sources, schema, functions)
    entry_key = key(sources, environment)
    path = where / (entry_key + SUFFIX)
    hit = _read(path, entry_key, schema)
    if hit is not None:
        policies, params, diags = hit
        return Loaded(sources, policies, params, diags)
    loaded = load_sources(sources, schema, functions)
    if not loaded.errors:
        _write(where, path, loaded, entry_key, schema)
    return loaded


def _read(path: Path, entry_key: str, schema: type[BaseModel]) -> tuple[Any, ...] | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        hit = loads(data, entry_key, schema)
    except Exception:  # a corrupt or foreign entry is ignored; the set is checked afresh
        return None
    if hit is not None:
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: kept when older entries are pruned
    return hit


def _write(
    where: Path, path: Path, loaded: Loaded, entry_key: str, schema: type[BaseModel]
) -> None:
    try:
        data = dumps(loaded, entry_key, schema)
    except Exception:  # e.g. a host's schema whose record types cannot be named
        return
    tmp: str | None = None
    try:
        where.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=where, prefix="." + entry_key[:16] + "-", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        tmp = None
    except OSError:  # a read-only or full cache directory: nothing is saved
        return
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    _prune(where)


def _prune(where: Path) -> None:
    """Delete all but the `MAX_ENTRIES` most recently used entries, and temporary files
    that writers which died left behind more than a day ago."""
    try:
        files = [(e, e.stat().st_mtime) for e in where.iterdir()]
    except OSError:
        return
    entries = sorted(((m, e) for e, m in files if e.name.endswith(SUFFIX)), reverse=True)
    stale = [e for e, m in files if e.name.endswith(".tmp") and m < time.time() - 86400]
    for e in [e for _, e in entries[MAX_ENTRIES:]] + stale:
        with contextlib.suppress(OSError):
            e.unlink()
