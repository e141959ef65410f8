"""The example service's package: its models and column types, imported by its migrations."""
