"""Research at scale: whole extracts checked into a results database (DuckDB or
partitioned Parquet) that a run can resume, queried with SQL and summarised in a report.

``schema`` is the one description of the results' tables; ``batches`` turns checker results
into them; ``store`` writes them; ``run`` drives a resumable run; ``query`` reads them back;
``statistics``, ``figures`` and ``report_html``/``report_terminal`` make the report.
"""
