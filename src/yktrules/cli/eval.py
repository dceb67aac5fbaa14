"""`yktrules eval`: screen one application for one item; JSON, or the citizen's text."""

from __future__ import annotations

from datetime import date

import click

from ..errors import FactsError, NoPolicyError
from ..facts.privacy import masked
from .log import eval_output, log_eval, privacy_options
from .support import date_arg, fail, load_policies, read_text_or_exit


@click.command("eval")
@click.option("--policies", default="policies", show_default=True, type=click.Path())
@click.option("--item", required=True, help="item code (or the code of a policy extending it)")
@click.argument("facts_file", type=click.Path())
@click.option("--as-of", callback=date_arg, help="decision date, YYYY-MM-DD")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="json")
@click.option("--trace", is_flag=True, help="add every let's and rule's value (JSON output)")
@privacy_options
def eval_(
    policies: str,
    item: str,
    facts_file: str,
    as_of: date | None,
    fmt: str,
    trace: bool,
    unmask: bool,
    log_file: str | None,
    actor: str | None,
) -> None:
    """Screen one application (a JSON file, or - for standard input)."""
    ps = load_policies(policies)
    text = read_text_or_exit(facts_file)
    try:
        facts = ps.parse_facts(text)
        d = ps.screen(facts, policy=item, as_of=as_of, trace=trace)
    except FactsError as e:
        fail(masked(f"{facts_file}: {e}", unmask), 2)
    except NoPolicyError as e:
        fail(str(e), 2)
    log_eval(log_file, actor, d, facts, unmask)
    click.echo(eval_output(d, fmt, unmask))
