"""Payment rosters (发放花名册) and registries: their models, files and a synthetic roster."""
