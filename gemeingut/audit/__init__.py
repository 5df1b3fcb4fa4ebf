"""Stage package: audit — capability tasks, bias, memorisation, red team, community findings."""
