#!/usr/bin/env python3
"""Django's command-line utility for administrative tasks."""
import os
import sys


def main():
    # The test settings by default: prod needs secrets a developer's shell
    # does not have, and must be asked for explicitly.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
