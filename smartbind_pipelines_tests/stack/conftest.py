"""The stack test runs docker-compose.yml under podman (minutes, root, local images): only through
`make test-stack` (scripts/stack/run.sh), which builds the images and sets SMARTBIND_STACK_TEST=1.
`make test` never collects it."""

import os

if os.environ.get("SMARTBIND_STACK_TEST") != "1":
    collect_ignore_glob = ["test_*.py"]
