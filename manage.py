#!/usr/bin/env python
"""Django's command-line utility; the installed `pregonero` command does the same."""

from pregonero.__main__ import main

if __name__ == "__main__":
    main()
