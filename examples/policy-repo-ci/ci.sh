#!/usr/bin/env bash
# The same checks as .github/workflows/policies.yml, for any CI system (or a laptop).
# Usage: ci.sh [POLICY_DIR] [COVERAGE_PERCENT]
set -euo pipefail
dir="${1:-policies}"
threshold="${2:-100}"
yktrules check "$dir"
yktrules fmt --check "$dir"
yktrules test "$dir" --coverage --fail-under "$threshold" \
    --coverage-json coverage.json --junit junit.xml
