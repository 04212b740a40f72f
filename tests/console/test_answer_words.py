"""Coded answers read as plain words on the console."""

from callrouter.console.filters import answer_words


def test_coded_answers_are_shown_in_plain_words():
    assert answer_words("not_sought") == "Parents not asked"
    assert answer_words("checs") == "ChECS (consultation service)"
    assert answer_words(True) == "Yes"
    assert answer_words(7) == "7"


def test_an_answer_with_no_plain_words_is_shown_as_given():
    assert answer_words("Jo Bloggs") == "Jo Bloggs"
