"""Entry script of the frozen build: the same `main` as the `mailapp` console script.

Imports: mailapp.app.main only.
"""

import sys

from mailapp.app.main import main

if __name__ == "__main__":
    sys.exit(main())
