"""Subcommands of `motovault`; one module each, discovered by motovault.cli."""
