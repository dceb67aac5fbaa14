"""Three-valued logic: the engine against a reference Kleene implementation, on random
boolean expressions over facts that may be true, false or unknown (LANGUAGE.md §5)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import yktrules
from yktrules.facts import make_id_number

# four nullable booleans of the applicant, each true, false or unknown (null)
VARS = ["alive", "in_custody", "public_servant", "poverty_registered"]
U = None  # the reference's unknown


def k_not(a: Any) -> Any:
    return U if a is U else not a


def k_and(a: Any, b: Any) -> Any:
    if a is False or b is False:
        return False
    if a is True and b is True:
        return True
    return U


def k_or(a: Any, b: Any) -> Any:
    return k_not(k_and(k_not(a), k_not(b)))


exprs = st.recursive(
    st.sampled_from(VARS).map(lambda v: ("var", v))
    | st.sampled_from([True, False]).map(lambda b: ("const", b)),
    lambda inner: (
        st.tuples(st.just("not"), inner)
        | st.tuples(st.sampled_from(["and", "or"]), inner, inner)
        | st.tuples(st.just("known"), inner)
        | st.tuples(st.just("??"), inner, inner)
    ),
    max_leaves=8,
)


def text(e: Any) -> str:
    kind = e[0]
    if kind == "var":
        return f"applicant.{e[1]}"
    if kind == "const":
        return "true" if e[1] else "false"
    if kind == "not":
        return f"(not {text(e[1])})"
    if kind == "known":
        return f"known({text(e[1])})"
    return f"({text(e[1])} {kind} {text(e[2])})"


def ref(e: Any, env: dict[str, Any]) -> Any:
    kind = e[0]
    if kind == "var":
        return env[e[1]]
    if kind == "const":
        return e[1]
    if kind == "not":
        return k_not(ref(e[1], env))
    if kind == "known":
        return ref(e[1], env) is not U
    a = ref(e[1], env)
    if kind == "??":
        return ref(e[2], env) if a is U else a
    b = ref(e[2], env)
    return k_and(a, b) if kind == "and" else k_or(a, b)


def facts(env: dict[str, Any]) -> dict[str, Any]:
    pid = make_id_number("511025", date(1960, 5, 1), 1, "男")
    person = {
        "id_number": pid,
        "name": "王建国",
        "gender": "男",
        "birth_date": "1960-05-01",
        "relation": "本人",
        **env,
    }
    return {
        "application": {"id": "K-1", "date": "2024-03-01", "region": "511025"},
        "applicant": person,
        "household": {"members": [person]},
    }


def screen(tmp: Path, expr: str, env: dict[str, Any]) -> yktrules.Decision:
    (tmp / "k.ykt").write_text(
        'policy "K" "kleene" {\n region: "510000"\n effective: 2020-01-01\n'
        f' review r "r": {expr}\n}}\n',
        encoding="utf-8",
    )
    return yktrules.load(tmp).screen(facts(env), policy="K")


tri = st.sampled_from([True, False, None])
envs = st.fixed_dictionaries({v: tri for v in VARS})


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(e=exprs, env=envs)
def test_engine_matches_reference_kleene(tmp_path: Path, e: Any, env: dict[str, Any]) -> None:
    d = screen(tmp_path, text(e), env)
    want = ref(e, env)
    if want is True:
        assert d.outcome == "review" and [r.rule for r in d.reasons] == ["r"]
    elif want is False:
        assert d.outcome == "eligible" and not d.reasons and not d.unknown
    else:
        assert [u.rule for u in d.unknown] == ["r"]
        missing = set(d.unknown[0].missing)
        # every missing path is one of the unknown facts the expression reads
        assert missing <= {f"applicant.{v}" for v in VARS if env[v] is None}
        assert missing, "an unknown rule names the facts it missed"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(a=exprs, b=exprs, env=envs)
def test_de_morgan_and_commutativity(tmp_path: Path, a: Any, b: Any, env: dict[str, Any]) -> None:
    laws = [
        (("not", ("and", a, b)), ("or", ("not", a), ("not", b))),
        (("and", a, b), ("and", b, a)),
        (("or", a, b), ("or", b, a)),
        (("not", ("not", a)), a),
    ]
    for lhs, rhs in laws:
        left = screen(tmp_path, text(lhs), env)
        right = screen(tmp_path, text(rhs), env)
        assert left.outcome == right.outcome
        assert bool(left.unknown) == bool(right.unknown)
