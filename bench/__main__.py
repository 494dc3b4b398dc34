"""`make bench` / `python -m bench`: the event stream benchmark (see bench/events.py)."""

import sys

from bench.events import main

sys.exit(main())
