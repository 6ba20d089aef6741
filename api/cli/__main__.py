"""``python -m api.cli``: the ``luutru`` command, as the tests and benches start it in a subprocess."""

from api.cli import main

main()
