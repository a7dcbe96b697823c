"""`python -m mailapp`: the same as the `mailapp` command."""

from mailapp.app.main import main

raise SystemExit(main())
