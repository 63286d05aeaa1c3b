"""`python -m gan_bench` = the `gan-bench` command."""

import sys

from gan_bench.cli import main

sys.exit(main())
