"""Subcommands of the ``planning`` command: one module each, with ``add_parser`` and ``run``."""
