"""Background jobs: long work (an import, opening a cycle) run by a worker, with progress."""
