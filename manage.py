#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus_portal.settings")
    # On a developer's machine (no SECRET_KEY in the environment) the command
    # line runs in development mode; production sets SECRET_KEY and DEBUG itself.
    os.environ.setdefault("DEBUG", "false" if "SECRET_KEY" in os.environ else "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
