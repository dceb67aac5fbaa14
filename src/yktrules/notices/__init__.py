"""Payment notices (发放告知书) and the 明白卡 (docs/notices.md).  May import ``screening``,
``roster``, ``facts``, ``lang`` (YAML templates) and below.

    from yktrules.notices import load_templates, render_notice, mingbai_card
    templates = load_templates("policies/", policies=policies)
    notice = render_notice(payment, policies, templates)          # masked by default
    card = mingbai_card(facts.applicant, policies=policies, payments=rows,
                        decisions=policies.screen_all(facts), as_of=facts.application.date)
    print(card.text()); open("card.html", "w").write(card.html())

:mod:`.templates` reads the templates, :mod:`.render` fills a notice, :mod:`.mingbai` decides
what goes on a card and :mod:`.card` holds the card and its text and HTML.
"""

from .card import NOTE, Card, Offer, Person, Receipt
from .mingbai import mingbai_card
from .render import Notice, money_text, period_text, render_notice
from .templates import (
    BUILTIN_DEFAULT,
    PLACEHOLDERS,
    Template,
    TemplateError,
    TemplateProblem,
    Templates,
    load_templates,
)

__all__ = [
    "BUILTIN_DEFAULT",
    "NOTE",
    "PLACEHOLDERS",
    "Card",
    "Notice",
    "Offer",
    "Person",
    "Receipt",
    "Template",
    "TemplateError",
    "TemplateProblem",
    "Templates",
    "load_templates",
    "mingbai_card",
    "money_text",
    "period_text",
    "render_notice",
]
