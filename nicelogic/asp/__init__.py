"""The boundary between Python and clingo: records and tables written as facts, rule
programs read as syntax trees, batches grounded and solved."""
