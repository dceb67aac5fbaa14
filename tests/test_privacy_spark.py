"""Masking on Spark (yktrules.batch.spark_mask): Spark's regexes mask as mask_text does, and
`screen_spark` writes the rows of the Python engine, masked unless `unmask`."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("java is not on PATH (Spark needs Java 17)", allow_module_level=True)

import pyarrow.parquet as pq
from pyspark.sql import SparkSession

import yktrules
from pii_facts import CARD, ID, facts
from yktrules.batch.rows import screen_rows
from yktrules.batch.spark import screen_spark
from yktrules.batch.spark_mask import MASK_STEPS
from yktrules.facts.privacy import mask_row, mask_text

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")


def _texts() -> list[str]:
    rnd = random.Random(11)
    pieces = ["0123456789", "X", "x", "，", " ", "a", ID, "11010519491231002X", CARD, CARD[:16]]
    pieces += ["５１１０２５１９５００１０２００６４"]  # full-width digits
    out = ["", ID, f"证号{ID}卡号{CARD}", "1" * 20, "1" * 15, CARD[:17] + "X5"]
    for _ in range(400):
        out.append("".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 6))))
    return out


def test_spark_masks_as_mask_text(spark: SparkSession) -> None:
    from pyspark.sql import functions as F

    texts = _texts()
    col = F.col("t")
    for pattern, replacement in MASK_STEPS:
        col = F.regexp_replace(col, pattern, replacement)
    df = spark.createDataFrame([(i, t) for i, t in enumerate(texts)], "i INT, t STRING")
    got = {r["i"]: r["m"] for r in df.select("i", col.alias("m")).collect()}
    assert [got[i] for i in range(len(texts))] == [mask_text(t) for t in texts]


def test_screen_spark_masks_unless_unmasked(spark: SparkSession, tmp_path: Path) -> None:
    pol = tmp_path / "pol"
    pol.mkdir()
    (pol / "t.ykt").write_text(
        'policy "T-1" "测试" {\n region: "510000"\n effective: 2020-01-01\n'
        ' review who "请核实{applicant.id_number}，卡号{applicant.card_no}": true\n'
        " amount: 10\n}\n",
        encoding="utf-8",
    )
    ps = yktrules.load(pol)
    lines = [
        json.dumps(facts("A1"), ensure_ascii=False),
        json.dumps(facts("A2", item=ID), ensure_ascii=False),  # no_policy, echoing the item
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    want = list(screen_rows(ps, lines))
    for unmask in (False, True):
        expected = want if unmask else [mask_row(r) for r in want]
        out = tmp_path / f"out-{unmask}.jsonl"
        screen_spark(ps, str(src), str(out), spark=spark, unmask=unmask)
        text = out.read_text(encoding="utf-8")
        assert (ID in text) is unmask and (CARD in text) is unmask
        assert [json.loads(x) for x in text.splitlines()] == expected
        out = tmp_path / f"out-{unmask}.parquet"
        screen_spark(ps, str(src), str(out), spark=spark, unmask=unmask)
        rows = pq.read_table(out).to_pylist()
        assert (
            rows[0]["decisions"][0]["reasons"][0]["message"]
            == (expected[0]["decisions"][0]["reasons"][0]["message"])
        )
        assert rows[1]["error"] == expected[1]["error"]
