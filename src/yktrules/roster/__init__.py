"""The payment roster (发放花名册) and the other departments' registries audits read: their
pydantic models (:mod:`.models`) and their files (:mod:`.io`: CSV, JSON Lines, Parquet, with
line numbers and error rows).  May import ``facts`` and ``errors``.
"""
