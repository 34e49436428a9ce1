"""`python -m tests.bench [--quick] [--profile facade|core]`: see tests/bench/runner.py."""

from tests.bench.runner import main

main()
