"""The facts boundary: the standard facts document (FACTS.md) as pydantic v2 models, its
validation, and the personal data in it.  May import ``ir`` and ``errors`` only.

``parse_facts`` validates a dict, JSON text or model instance and raises
:class:`~yktrules.errors.FactsError` with every problem; ``facts_json_schema`` exports the
JSON Schema (with each field's Chinese name and source department) for host systems;
``paths_read`` and ``projected_schema`` validate only what a policy set reads.

- :mod:`.models`: the models; :mod:`.ids`: ID numbers and region codes; :mod:`.validate`:
  validation and its errors; :mod:`.project`: validating only what is read;
- :mod:`.paths`: fact paths in words; :mod:`.privacy`: masking ID numbers, names, cards.
"""

from .ids import (
    PROVINCE_CODES,
    id_check_digit,
    is_valid_id_number,
    is_valid_region_code,
    make_id_number,
)
from .models import (
    Application,
    Benefit,
    Business,
    Disability,
    FactBool,
    FactDate,
    FactModel,
    Filing,
    Household,
    IdNumber,
    Money,
    NonEmptyStr,
    Person,
    PriorApplication,
    Property,
    Records,
    RegionCode,
    Vehicle,
    fact_field,
)
from .project import SCREENING_PATHS, paths_read, projected_schema
from .validate import facts_json_schema, format_path, parse_facts

__all__ = [
    "PROVINCE_CODES",
    "SCREENING_PATHS",
    "Application",
    "Benefit",
    "Business",
    "Disability",
    "FactBool",
    "FactDate",
    "FactModel",
    "Filing",
    "Household",
    "IdNumber",
    "Money",
    "NonEmptyStr",
    "Person",
    "PriorApplication",
    "Property",
    "Records",
    "RegionCode",
    "Vehicle",
    "fact_field",
    "facts_json_schema",
    "format_path",
    "id_check_digit",
    "is_valid_id_number",
    "is_valid_region_code",
    "make_id_number",
    "parse_facts",
    "paths_read",
    "projected_schema",
]
