"""For rule authors: annotated case files, the test runner and its coverage, lint, and
mutation testing of packs."""
