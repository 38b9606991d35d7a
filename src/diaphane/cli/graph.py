"""The `diaphane graph` subcommand (being written)."""


def register(subparsers) -> None:
    subparsers.add_parser("graph", help="(being written)")
