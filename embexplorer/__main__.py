import sys

from embexplorer.cli import main

sys.exit(main())
