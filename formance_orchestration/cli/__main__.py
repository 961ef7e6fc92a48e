"""``python -m formance_orchestration.cli``: the same as the ``formance-orchestration`` script."""

import sys

from formance_orchestration.cli import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main())
