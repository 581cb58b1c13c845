"""Names across scripts: the transliteration rules one by one, and the lexicon finding a Latin name
written in Cyrillic with Russian case endings (and a Cyrillic one written in Latin)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ner.models.lexicon import load_lexicon
from ner.models.translit import romanize, translit_key


@pytest.mark.parametrize("latin, cyrillic", [
    ("Yandex", "Яндекс"),        # x -> ks; y before a vowel -> i, я -> ia
    ("PyTorch", "Пайторч"),      # y between consonants -> ai; ch kept
    ("LLaMA", "Лама"),           # doubled letters as one
    ("Qwen", "Квен"),            # q -> k, w -> v
    ("Whisper", "Виспер"),       # wh -> v
    ("DeepSeek", "Дипсик"),      # ee -> i
    ("Jupiter", "Джупитер"),     # j -> dzh
    ("Mistral", "Мистраль"),     # ь dropped
    ("Falcon", "Фалкон"),        # c -> k
    ("Mercedes", "Мерседес"),    # c before e -> s
    ("Graphana", "Графана"),     # ph -> f
    ("Athena", "Атена"),         # th -> t
    ("Slack", "Слак"),           # ck -> k
    ("Electra", "Электра"),      # э -> e
])
def test_each_rule_maps_both_spellings_to_one_key(latin, cyrillic):
    assert translit_key(latin) == translit_key(cyrillic)


def test_romanize_rules_in_order():
    assert [romanize(w) for w in ("x", "ph", "th", "ck", "qu", "w", "j", "c", "ci", "ch", "ee", "oo")] == [
        "ks", "f", "t", "k", "kv", "v", "dzh", "k", "si", "ch", "i", "u"]
    assert [romanize(w) for w in ("ёж", "щука", "хъюь", "цый")]  # ый: i i, doubled -> i == ["ezh", "shuka", "hiu", "tsi"]


@pytest.mark.parametrize("word, key", [
    ("Мистралем", "mistral"), ("Яндексом", "iandeks"), ("Лламы", "lam"), ("Пайторче", "paitorch"),
    ("Кандинского", "kandinsk"), ("Kandinsky", "kandinsk"), ("GPT-4", "gpt-4"), ("2023", "2023"), ("", ""),
])
def test_case_endings_are_cut_when_three_letters_stay(word, key):
    from ner.models.lexicon import stem

    assert translit_key(stem(word)) == key


@pytest.fixture(scope="module")
def lexicon(tmp_path_factory):
    d = tmp_path_factory.mktemp("lists")
    (d / "Model.txt").write_text("Mistral\nLLaMA\nRAG\n", encoding="utf-8")
    (d / "Application.txt").write_text("PyTorch\nCursor\n", encoding="utf-8")
    (d / "Organization.txt").write_text("Яндекс\n", encoding="utf-8")
    return load_lexicon(d)


@pytest.mark.parametrize("words, expected", [
    (["в", "Мистрале"], [(1, 2, "Model")]),                 # a Latin entry, Cyrillic text, declined
    (["с", "Мистралем", "и", "Пайторчем"], [(1, 2, "Model"), (3, 4, "Application")]),
    (["Yandex", "выпустил"], [(0, 1, "Organization")]),      # a Cyrillic entry, Latin text
    (["наведи", "курсор"], []),                              # lower-case Russian word, short key: not Cursor
    (["раг"], []),                                           # acronyms are matched as written only
    (["мистраль"], [(0, 1, "Model")]),                       # lower case, but a key of seven letters
])
def test_the_lexicon_finds_names_in_the_other_script(lexicon, words, expected):
    assert lexicon.spans(words) == expected


_CONSONANTS = dict(zip("bdfgklmnprstvz", "бдфгклмнпрствз"))
_VOWELS = dict(zip("aeiou", "аеиоу"))
_ENDINGS = ["", "а", "у", "ом", "е", "ы", "ами", "ах", "ов", "ой"]


@st.composite
def names(draw):
    """A pronounceable Latin name ending in a consonant and its letter-for-letter Cyrillic spelling."""
    pairs = draw(st.lists(st.tuples(st.sampled_from(sorted(_CONSONANTS)), st.sampled_from(sorted(_VOWELS))),
                          min_size=2, max_size=4))
    last = draw(st.sampled_from(sorted(_CONSONANTS)))
    latin = "".join(c + v for c, v in pairs) + last
    cyrillic = "".join(_CONSONANTS[c] + _VOWELS[v] for c, v in pairs) + _CONSONANTS[last]
    return latin.capitalize(), cyrillic.capitalize()


@settings(max_examples=200, deadline=None)
@given(names(), st.sampled_from(_ENDINGS), st.booleans())
def test_a_name_in_either_script_in_any_case_ending_is_found(tmp_path_factory, name, ending, latin_listed):
    latin, cyrillic = name
    d = tmp_path_factory.mktemp("one")
    (d / "Model.txt").write_text((latin if latin_listed else cyrillic) + "\n", encoding="utf-8")
    lexicon = load_lexicon(d)
    text = cyrillic + ending if latin_listed else latin
    assert lexicon.spans(["Мы", "взяли", text, "."]) == [(2, 3, "Model")]


def test_ner_tag_lexicon_finds_the_other_script(tmp_path, capsys):
    import json

    from ner.cli import main

    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "Model.txt").write_text("Zorbax\nZorbax-2\n", encoding="utf-8")
    (lists / "Organization.txt").write_text("Фелинор\n", encoding="utf-8")
    text = tmp_path / "in.txt"
    text.write_text("В Felinor дообучили Зорбакс, а потом сравнили с Зорбаксом-2 и Зорбаксами.\n", encoding="utf-8")
    assert main(["tag", str(text), "--lexicon", str(lists), "--no-progress"]) == 0
    found = [(e["text"], e["label"]) for e in json.loads(capsys.readouterr().out)["entities"]]
    assert found == [("Felinor", "Organization"), ("Зорбакс", "Model"), ("Зорбаксом-2", "Model"),
                     ("Зорбаксами", "Model")]
