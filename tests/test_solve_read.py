"""Reading a model's shown atoms: the text of the whole model read atom by atom gives the
findings that reading each atom's own symbol gives, whatever other atoms are shown."""

from __future__ import annotations

import clingo

from nicelogic.asp.solve import Finding, _finding, _read_model

PROGRAM = """
violation("a",1,opcs,(1,2)). applies("b",2,opcs,0,row(3)). violation("c",1,opcs,3,("x","y")).
other(1,"violation(\\"d\\",1,opcs,1)"). applies("z",3,icd10,4). violation("e\\"q",2,cpt,(2,1)).
violation("f",12,opcs,(4,3,4)).
#show violation/4. #show violation/5. #show applies/4. #show applies/5. #show other/2.
"""


def test_a_model_read_as_one_text_gives_each_atoms_finding() -> None:
    control = clingo.Control(["--warn=none"])
    control.add("base", [], PROGRAM)
    control.ground([("base", [])])
    with control.solve(yield_=True) as handle:
        symbols = next(iter(handle)).symbols(shown=True)
    one_by_one = [_finding(s) for s in symbols if s.name != "other"]
    assert list(_read_model(symbols)) == one_by_one
    assert (12, Finding("f", "opcs", (3, 4))) in one_by_one
    assert (2, Finding('e"q', "cpt", (1, 2))) in one_by_one
