"""The attributes carried beside each result (provider, specialty, dates, patient and
--carry columns), read in this process: which columns hold them, in which order of
preference, how cells become values, and the --carry names refused."""

from __future__ import annotations

import pytest

from nicelogic.errors import UsageError
from nicelogic.input.carry import AttributeReader, CarrySpec, attribute_keys, attribute_value, mapping_attributes


def test_the_first_present_column_of_an_attribute_is_read_in_order_of_preference() -> None:
    spec = CarrySpec(("ICB",), patient_column="MyPatient")
    header = ["EPIKEY", "PROCODE5", "procode3 ", "MAINSPEF", "ADMIDATE", "EPISTART", "MYPATIENT", "HESID", "icb", "ICB"]
    reader = AttributeReader(spec, header)
    values = dict(
        zip(
            reader.names,
            reader.read(["1", "RA1AB", "RA1", "100", "2024-07-01", "01/07/2024", "p9", "h1", "Q1", "Q2"]),
            strict=True,
        )
    )
    assert values == {
        "provider": "RA1",  # PROCODE3 before PROCODE5
        "main_specialty": "100",
        "treatment_specialty": None,  # no TRETSPEF column
        "admission_date": "2024-07-01",
        "episode_start": "2024-07-01",
        "patient": "p9",  # --patient-column replaces the HES names
        "icb": "Q1",  # the first of two columns of one name
    }


def test_cells_become_text_none_or_an_iso_date() -> None:
    assert attribute_value(None, False) is None
    assert attribute_value("  RA1 ", False) == "RA1"
    assert attribute_value("-", False) is None and attribute_value("", False) is None
    assert attribute_value("20240701", True) == "2024-07-01"
    assert attribute_value("not a date", True) is None  # carried as missing; the checker judges dates
    assert attribute_value(42, False) == "42"


def test_a_short_row_reads_missing_cells_as_none() -> None:
    reader = AttributeReader(CarrySpec(), ["PROCODE3", "MAINSPEF"])
    assert reader.read(["RA1"])[:2] == ("RA1", None)


def test_json_records_match_keys_without_regard_to_case_and_by_the_results_names() -> None:
    spec = CarrySpec(("Region",))
    values = dict(
        zip(spec.sources(), mapping_attributes(spec, {"procode3": "RB2", "Main_Specialty": "300", "REGION": "N"}), strict=True)
    )
    assert values["provider"] == "RB2" and values["main_specialty"] == "300" and values["region"] == "N"
    assert values["admission_date"] is None


def test_keys_hold_every_name_an_attribute_may_come_under() -> None:
    keys = attribute_keys(("Region",), "MyPatient")
    assert {"PROCODE3", "PROCODE", "PROCODE5", "PROVIDER", "HESID", "REGION", "MYPATIENT"} <= keys
    assert CarrySpec(("Region",), "MyPatient").keys() == keys
    assert "REGION" not in attribute_keys()


@pytest.mark.parametrize(
    ("carry", "message"), [(("Valid",), "'valid'"), (("provider",), "'provider'"), (("ICB", " icb"), "more than once")]
)
def test_carry_names_that_clash_with_the_results_or_repeat_are_refused(carry: tuple[str, ...], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        CarrySpec(carry)


def test_carried_columns_are_named_in_lower_case() -> None:
    assert CarrySpec((" ICB ", "Region")).carried_names == ("icb", "region")


def test_json_records_carry_their_dates_as_iso_dates_and_the_rest_as_text() -> None:
    values = mapping_attributes(CarrySpec(), {"ADMIDATE": "01/02/2015", "EPISTART": "20150203", "PROCODE3": " RXX "})
    assert values == ("RXX", None, None, "2015-02-01", "2015-02-03", None)
