"""python -m archiver: the same command line as manage.py and the `archiver` console script."""
import sys

from archiver.cli import main

sys.exit(main())
