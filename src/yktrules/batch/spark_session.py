"""The Spark session a run uses (:func:`yktrules_session`), and yktrules shipped to the
executors of a cluster (:func:`ship`): the package as a zip on the executors' ``sys.path``
(``SparkContext.addPyFile``), so that a cluster whose Python has yktrules' dependencies
needs nothing else installed."""

from __future__ import annotations

import os
import sys
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..lang.grammar import grammar_path
from ..sql.dialects.spark import SESSION_CONF

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@cache
def package_zip() -> Path:
    """yktrules' own modules and grammar as a zip file to import from (made once)."""
    pkg = Path(__file__).resolve().parents[1]
    out = Path(tempfile.mkdtemp(prefix="yktrules-ship-")) / "yktrules.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(pkg.rglob("*.py")):
            if "__pycache__" not in f.parts:
                z.write(f, "yktrules/" + f.relative_to(pkg).as_posix())
        for f in sorted(grammar_path().parent.glob("*.lark")):
            z.write(f, f"yktrules/grammars/{f.name}")
    return out


def is_local(master: str | None) -> bool:
    return (master or "local").startswith("local")


def ship(session: SparkSession) -> None:
    """Put this yktrules on the executors' ``sys.path`` (ahead of any installed copy: the
    driver's policy set is unpickled there, so the code must be the driver's own).  Not
    needed when Spark runs in this process."""
    sc = session.sparkContext
    if is_local(sc.master):
        return
    path = str(package_zip())
    if not any(str(p).endswith("/yktrules.zip") for p in sc._python_includes or ()):
        sc.addPyFile(path)


@contextmanager
def yktrules_session(
    spark: SparkSession | None, master: str | None, conf: Mapping[str, str] | None = None
) -> Iterator[SparkSession]:
    """`spark`, else the active session, else a new one on `master` with the Spark settings
    `conf` (``spark.driver.memory`` …; stopped at the end) — with yktrules shipped to its
    executors and yktrules' session settings (``SESSION_CONF``) for the duration, restored
    after.  A new session's executors run this Python unless ``PYSPARK_PYTHON`` says
    otherwise (on a cluster: a Python with yktrules' dependencies, at that path on every
    worker)."""
    from pyspark.sql import SparkSession

    session, owned = spark, False
    if session is None:
        session = SparkSession.getActiveSession()
    if session is None:
        builder = SparkSession.builder.appName("yktrules-screen")
        if master:
            builder = builder.master(master)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = builder.config("spark.ui.showConsoleProgress", "false")
        for k, v in (conf or {}).items():
            builder = builder.config(k, v)
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
        owned = True
    ship(session)
    saved = {k: session.conf.get(k, None) for k in SESSION_CONF}
    for k, v in SESSION_CONF.items():
        session.conf.set(k, v)
    try:
        yield session
    finally:
        for k, old in saved.items():
            if old is None:
                session.conf.unset(k)
            else:
                session.conf.set(k, old)
        if owned:
            session.stop()
