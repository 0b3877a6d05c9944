"""Code tables: OPCS-4, ICD-10 and the CMS NCCI edits, loaded once per process, and the
facts about the codes of a batch that the rules read."""

from nicelogic.tables.loaders import OPCS_ATTRIBUTION, CodeTables, TableConfig, load_tables

__all__ = ["OPCS_ATTRIBUTION", "CodeTables", "TableConfig", "load_tables"]
