"""``python -m glassgrad.cli``: the ``glassgrad`` command."""
import sys

from .main import main

sys.exit(main())
