"""The `diaphane check` subcommand (being written)."""


def register(subparsers) -> None:
    subparsers.add_parser("check", help="(being written)")
