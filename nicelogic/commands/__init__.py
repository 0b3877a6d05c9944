"""What each command does, above the pipeline: it composes reading, checking, completing
and writing, and returns a result that knows its exit status. ``nicelogic/cli.py`` only
turns options into calls of these functions."""
