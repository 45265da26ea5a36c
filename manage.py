#!/usr/bin/env python3
"""archiver's command line: python manage.py --help"""
import sys

from archiver.cli import main

if __name__ == "__main__":
    sys.exit(main())
