"""JUnit XML through junitparser, shared by ``check --format junit`` and ``nicelogic test
--format junit``: every string goes through :func:`visible` on its way in, so an id or a
code holding a control character still yields XML that parsers accept."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping

from junitparser import Attr, Error, Failure, IntAttr, JUnitXml, Skipped, TestCase, TestSuite

from nicelogic.report.escape import visible, visible_lines

Outcome = Failure | Error | Skipped


class _Case(TestCase):
    """A test case that also says where it stands, as pytest and GitLab read it."""

    file = Attr()
    line = IntAttr()


def result(kind: type[Outcome], message: str, type_: str | None = None, lines: Iterable[str] = ()) -> Outcome:
    """A failure, error or skip with its one-line ``message`` and its detail as text."""
    item = kind(visible(message), visible(type_) if type_ else None)
    text = visible_lines(list(lines))
    if text:
        item.text = text
    return item


def case(
    name: str,
    classname: str,
    results: Iterable[Outcome] = (),
    system_out: Iterable[str] = (),
    file: str | None = None,
    line: int | None = None,
) -> TestCase:
    item = _Case(visible(name), visible(classname))
    if file is not None:
        item.file = visible(file)
    if line is not None:
        item.line = line
    for entry in results:
        item.append(entry)
    out = visible_lines(list(system_out))
    if out:
        item.system_out = out
    return item


def document(name: str, suites: Mapping[str, Iterable[TestCase]], properties: Mapping[str, str] | None = None) -> str:
    """One ``<testsuites>`` document, its counts computed by junitparser from the cases; the
    run's ``properties`` (which code tables it used) on every suite, where JUnit keeps them."""
    root = JUnitXml(visible(name))
    for suite_name, cases in suites.items():
        suite = TestSuite(visible(suite_name))
        for key, value in (properties or {}).items():
            suite.add_property(visible(key), visible(value))
        suite.add_testcases(list(cases))
        root.add_testsuite(suite)
    root.update_statistics()
    buffer = io.BytesIO()
    root.write(buffer, pretty=True)
    return buffer.getvalue().decode("utf-8")


__all__ = ["Error", "Failure", "Outcome", "Skipped", "case", "document", "result"]
