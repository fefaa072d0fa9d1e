"""core.names: one rule for plan names in the reader's language, on models, frame rows and frames."""

from collections import namedtuple

import pandas as pd
import pytest

from core import names
from models import Agency, Assignment, SubIssue


def test_models_give_english_in_english_and_thai_otherwise():
    agency = Agency(code="ICT", name_th="ศูนย์เทคโนโลยี", short_name_th="ศทก.", name_en="ICT Centre", short_name_en="ICT")
    sub = SubIssue(main_issue_id=1, code="2.1", name_th="ศูนย์ข้อมูลกลาง", name_en="Central data centre")
    owner = Assignment(sub_issue_id=1, agency_id=1, unit="ร้อยละ", unit_en="percent")
    assert (names.agency_name(agency, "en"), names.agency_name(agency, "th")) == ("ICT", "ศทก.")
    assert (names.agency_full_name(agency, "en"), names.agency_full_name(agency, "th")) == ("ICT Centre", "ศูนย์เทคโนโลยี")
    assert (names.sub_issue_name(sub, "en"), names.sub_issue_name(sub, "th")) == ("Central data centre", "ศูนย์ข้อมูลกลาง")
    assert (names.unit_name(owner, "en"), names.unit_name(owner, "th")) == ("percent", "ร้อยละ")


@pytest.mark.parametrize("english", ["", "   ", None, float("nan"), pd.NA])
def test_an_empty_english_name_falls_back_to_the_thai(english):
    row = {"agency_short_name": "สนย.", "agency_short_name_en": english, "unit": "ฉบับ", "unit_en": english}
    assert names.agency_name(row, "en") == "สนย."
    assert names.unit_name(row, "en") == "ฉบับ"


def test_frame_rows_of_every_shape_use_the_english_twin_column():
    frame = pd.DataFrame(
        {
            "agency_short_name": ["สนย.", "สนก."],
            "agency_short_name_en": ["BPS", ""],
            "sub_issue_name_th": ["แดชบอร์ด", "ทบทวนกฎ"],
            "sub_issue_name_en": ["Dashboards", None],
            "unit": ["ร้อยละ", "ฉบับ"],
            "unit_en": ["percent", "documents"],
        }
    )
    series = frame.iloc[0]
    record = frame.to_dict("records")[0]
    (named,) = list(frame.head(1).itertuples(index=False))
    for row in (series, record, named):
        assert names.agency_name(row, "en") == "BPS"
        assert names.sub_issue_name(row, "en") == "Dashboards"
        assert names.unit_name(row, "en") == "percent"
        assert names.agency_name(row, "th") == "สนย."
    assert names.column(frame, "agency_short_name", "en").tolist() == ["BPS", "สนก."]
    assert names.column(frame, "sub_issue_name_th", "en").tolist() == ["Dashboards", "ทบทวนกฎ"]
    assert names.column(frame, "unit", "th").tolist() == ["ร้อยละ", "ฉบับ"]
    shown = names.localize(frame, "en", "agency_short_name", "sub_issue_name_th", "unit")
    assert shown["unit"].tolist() == ["percent", "documents"] and frame["unit"].tolist() == ["ร้อยละ", "ฉบับ"]
    assert names.localize(frame, "th", "unit") is frame


def test_a_frame_without_the_english_column_keeps_the_thai():
    frame = pd.DataFrame({"agency_short_name": ["สนย."]})
    assert names.column(frame, "agency_short_name", "en").tolist() == ["สนย."]
    row = namedtuple("Row", "agency_short_name")("สนย.")
    assert names.agency_name(row, "en") == "สนย."


def test_a_row_without_the_name_is_a_programming_error():
    with pytest.raises(AttributeError, match="no agency name"):
        names.agency_name({"code": "BPS"}, "en")


def test_the_english_twin_of_a_column():
    assert names.en_column("sub_issue_name_th") == "sub_issue_name_en"
    assert names.en_column("agency_short_name") == "agency_short_name_en"
    assert names.en_column("unit") == "unit_en"
