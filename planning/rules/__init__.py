"""The rule catalog of RULES.md and its evaluation on a county."""
