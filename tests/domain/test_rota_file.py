"""Reading the rota file a manager saved from a spreadsheet: what goes wrong says so plainly."""

import pytest

from callrouter.domain.rota import RotaError, load_rota, read_rota_text

HEADER = "staff_ref,name,role,team,skills,date,weekday,start,end\r\n"
ROW = "SW01,Si\u00e2n Jones,social_worker,mash,,,Mon,09:00,17:00\r\n"


def test_a_rota_saved_as_csv_utf_8_with_its_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "rota.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + ROW).encode("utf-8"))

    assert load_rota(path).member("SW01").name == "Si\u00e2n Jones"


def test_a_rota_saved_as_windows_1252_names_the_line_and_how_to_save_it(tmp_path):
    path = tmp_path / "rota.csv"
    path.write_bytes(
        (HEADER + "EH01,Gemma,early_help_officer,mash,,,Tue,09:00,17:00\r\n" + ROW).encode("cp1252")
    )

    with pytest.raises(RotaError) as caught:
        read_rota_text(path)

    assert caught.value.line == 3
    assert str(caught.value) == (
        "rota line 3: not UTF-8 text (byte 0xe2); in Excel, save the rota as "
        '"CSV UTF-8 (Comma delimited)"'
    )
    assert "Si" not in str(caught.value)  # the name is personal data: never in a message


def test_a_missing_file_says_so(tmp_path):
    with pytest.raises(RotaError, match=r"^no rota file at .*nope\.csv$") as caught:
        load_rota(tmp_path / "nope.csv")

    assert caught.value.line is None


def test_a_folder_or_an_excel_workbook_is_not_a_rota(tmp_path):
    with pytest.raises(RotaError, match="cannot read the rota file"):
        read_rota_text(tmp_path)
    workbook = tmp_path / "rota.xlsx"
    workbook.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)))

    with pytest.raises(RotaError, match=r"is an Excel workbook, not CSV; .*CSV UTF-8"):
        read_rota_text(workbook)
