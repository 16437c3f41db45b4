"""``python -m course.models build gpt|translator|bert|all [--out DIR] [--steps N] [--seed S]``."""

import sys

from course.models.build import main

sys.exit(main())
