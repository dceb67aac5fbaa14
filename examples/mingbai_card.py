"""A 明白卡 and payment notices for one applicant (docs/notices.md).

    python examples/mingbai_card.py                      # the card as text, then the notices
    python examples/mingbai_card.py --html card.html     # also the printable page

The applicant is the family of ``examples/zizhong_family.json`` (资中县, 刘志强); the roster
rows are made up here: three months of 低保 and last year's 耕地地力保护补贴.  Names and ID
numbers are masked, as in every default output; ``--unmask`` shows them.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import yktrules
from yktrules.notices import load_templates, mingbai_card, render_notice
from yktrules.roster.models import Payment

HERE = Path(__file__).resolve().parent
POLICIES = HERE.parent / "policies"


def roster(applicant_id: str, name: str, card_no: str) -> list[Payment]:
    """Payments as a county's 发放花名册 would list them."""
    common = {
        "beneficiary_id": applicant_id,
        "beneficiary_name": name,
        "card_no": card_no,
        "card_holder_id": applicant_id,
        "card_holder_name": name,
        "region": "511025",
        "approved_by": "王丽",
        "disbursed_by": "李强",
    }
    rows = [
        {
            "id": f"ZZ-2025-{m:02d}-0315",
            "batch": f"B2025-{m:02d}-511025-SCMZ001",
            "item": "SC-MZ-001",
            "period": date(2025, m, 1),
            "amount": "640.00",
            "paid_on": date(2025, m, 10),
        }
        for m in (1, 2, 3)
    ]
    rows.append(
        {
            "id": "ZZ-2024-NY-0315",
            "batch": "B2024-511025-SCNY001",
            "item": "SC-NY-001",
            "period": date(2024, 1, 1),
            "amount": "344.00",
            "paid_on": date(2024, 6, 20),
        }
    )
    return [Payment.model_validate({**common, **r}) for r in rows]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--html", type=Path, help="write the printable card to this file")
    ap.add_argument("--as-of", type=date.fromisoformat, default=date(2025, 3, 31))
    ap.add_argument("--unmask", action="store_true", help="names and ID numbers in full")
    args = ap.parse_args(argv)

    policies = yktrules.load(POLICIES)
    templates = load_templates(POLICIES, policies=policies)
    facts = policies.parse_facts((HERE / "zizhong_family.json").read_text(encoding="utf-8"))
    person = facts.applicant
    payments = roster(person.id_number, person.name, person.card_no)

    card = mingbai_card(
        person,
        policies=policies,
        payments=payments,
        decisions=policies.screen_all(facts, args.as_of),
        as_of=args.as_of,
        unmask=args.unmask,
    )
    print(card.text())
    print("发放告知书：")
    for p in payments:
        print("  " + render_notice(p, policies, templates, unmask=args.unmask).text)
    if args.html is not None:
        args.html.write_text(card.html(), encoding="utf-8")
        print(f"\n已写入 {args.html}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
