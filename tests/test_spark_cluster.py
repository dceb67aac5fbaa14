"""A real Spark standalone cluster on this machine — a master and two one-core workers,
separate processes started with ``spark-class`` on loopback — and the screening job
submitted to it the two ways docs/spark.md tells a user: ``spark-submit`` with
``examples/spark_screen.py``, and ``yktrules screen --engine spark --master spark://…``
(which ships yktrules to the executors itself).  Both outputs equal the DuckDB engine's."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pyspark = pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("java is not on PATH (Spark needs Java 17)", allow_module_level=True)

import yktrules  # noqa: E402
from yktrules.batch import screen_to_file  # noqa: E402
from yktrules.synth import applications as synth  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SPARK_HOME = Path(pyspark.__file__).parent
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SPARK_HOME=str(SPARK_HOME),
        SPARK_LOCAL_IP="127.0.0.1",
        SPARK_LOG_DIR=str(tmp / "logs"),
        SPARK_WORKER_DIR=str(tmp / "work"),
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",  # the venv, as if activated
    )
    env.pop("PYSPARK_PYTHON", None)
    env.pop("SPARK_MASTER", None)
    return env


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    tmp = tmp_path_factory.mktemp("cluster")
    env = _env(tmp)
    port, ui = _free_port(), _free_port()
    spark_class = str(SPARK_HOME / "bin" / "spark-class")
    master_url = f"spark://127.0.0.1:{port}"
    procs = []
    logs = []

    def start(args: list[str], name: str) -> None:
        log = open(tmp / f"{name}.log", "wb")  # noqa: SIM115
        logs.append(log)
        procs.append(
            subprocess.Popen(
                [spark_class, *args],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    start(
        ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
         "--webui-port", str(ui)],
        "master",
    )  # fmt: skip
    for k in range(2):
        start(
            ["org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "1",
             "--memory", "1g", "--webui-port", str(_free_port()), master_url],
            f"worker{k}",
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        workers = 0
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{ui}/json/", timeout=5) as r:
                    state = json.loads(r.read())
                workers = sum(w.get("state") == "ALIVE" for w in state.get("workers", []))
                if workers == 2:
                    break
            except OSError:
                pass
            time.sleep(1)
        if workers != 2:
            text = "\n".join((tmp / f).read_text(errors="replace")[-2000:] for f in
                             ("master.log", "worker0.log", "worker1.log"))  # fmt: skip
            pytest.fail(f"the standalone cluster did not come up:\n{text}")
        yield {"url": master_url, "env": env, "tmp": tmp}
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        for log in logs:
            log.close()


@pytest.fixture(scope="module")
def data(cluster: dict[str, object]) -> dict[str, Path]:
    tmp = Path(str(cluster["tmp"]))
    docs = list(synth.population(150, seed=61))
    lines = [json.dumps(d, ensure_ascii=False, default=str) for d in docs]
    lines.insert(20, "{broken")
    src = tmp / "apps.jsonl"
    src.write_text("".join(x + "\n" for x in lines), encoding="utf-8")
    want = tmp / "duckdb.jsonl"
    ps = yktrules.load(ROOT / "policies")
    screen_to_file(ps, src, want, engine="duckdb", item="SC-MZ-001")
    return {"src": src, "want": want}


def test_spark_submit_as_the_docs_say(cluster: dict[str, object], data: dict[str, Path]) -> None:
    """docs/spark.md, standalone cluster, client mode: ``spark-submit`` from the activated
    environment, the executors' Python named by ``spark.pyspark.python``."""
    tmp = Path(str(cluster["tmp"]))
    out = tmp / "submitted.jsonl"
    cmd = [
        "spark-submit", "--master", str(cluster["url"]), "--deploy-mode", "client",
        "--conf", f"spark.pyspark.python={sys.executable}",
        "--conf", f"spark.pyspark.driver.python={sys.executable}",
        "--driver-memory", "1g", "--executor-memory", "1g",
        str(ROOT / "examples" / "spark_screen.py"), str(ROOT / "policies"),
        str(data["src"]), str(out), "--item", "SC-MZ-001", "--single-file",
    ]  # fmt: skip
    env = dict(cluster["env"])  # type: ignore[call-overload]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    summary = json.loads(r.stdout[r.stdout.index("{") :])
    assert summary["rows"] == 151 and summary["errors"] == {"facts": 1}
    assert out.read_bytes() == data["want"].read_bytes()


def test_cli_against_the_cluster_ships_itself(
    cluster: dict[str, object], data: dict[str, Path]
) -> None:
    """``yktrules screen --engine spark --master spark://…``: one output file, equal to the
    DuckDB engine's; the executors imported the yktrules the driver shipped."""
    tmp = Path(str(cluster["tmp"]))
    out = tmp / "cli.jsonl"
    cmd = [
        str(BIN / "yktrules"), "screen", "--policies", str(ROOT / "policies"), str(data["src"]),
        "--engine", "spark", "--master", str(cluster["url"]), "--driver-memory", "1g",
        "--spark-conf", "spark.executor.memory=1g", "--item", "SC-MZ-001", "--out", str(out),
    ]  # fmt: skip
    env = dict(cluster["env"])  # type: ignore[call-overload]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    assert out.is_file() and out.read_bytes() == data["want"].read_bytes()
    shipped = list((tmp / "work").rglob("yktrules.zip"))
    assert shipped, "the executors did not receive yktrules.zip"
