"""Call-backs, tier visit schedules and surveys (回訪) — built out in a later issue."""
