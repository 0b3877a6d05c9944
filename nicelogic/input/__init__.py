"""Reading inputs into records: text, CSV/TSV extracts and JSON Lines, each record parsed
by the Lark grammar (``grammar/records.lark``) or rejected with where and why."""
