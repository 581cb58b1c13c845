"""Sub-word label alignment on hand-made cases (windows: ``test_windows.py``)."""

import pytest

from ner.models.subwords import IGNORE, encode_words, first_pieces, piece_counts


@pytest.fixture(scope="module")
def tokenizer(tiny_bert_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_bert_dir)


def test_folding_tokenizer_is_aligned_by_word_ids(tokenizer):
    words = ["Ёлка", "йогурт", "BERT-а", "из-за", "PyTorch'е", "."]
    enc = encode_words(tokenizer, words, 100, [1, 2, 3, 4, 5, 6])
    pieces = tokenizer.convert_ids_to_tokens(enc.input_ids)
    # the tokenizer folds ё -> е and й -> и: pieces cannot be re-joined into the words
    assert "".join(p.lstrip("#") for p in pieces[1:-1]).startswith("елкаиогурт")
    assert enc.labels[0] == IGNORE and enc.labels[-1] == IGNORE
    assert [lab for lab in enc.labels if lab != IGNORE] == [1, 2, 3, 4, 5, 6]
    for word_index, pos in enumerate(first_pieces(enc.word_ids)):
        assert enc.word_ids[pos] == word_index and enc.labels[pos] == word_index + 1
    # "BERT-а" is several pieces (bert, -, а): one label, the others -100
    bert = [i for i, w in enumerate(enc.word_ids) if w == 2]
    assert len(bert) >= 3 and [enc.labels[i] for i in bert] == [3] + [IGNORE] * (len(bert) - 1)


def test_word_without_pieces_is_kept_as_unknown(tokenizer):
    words = ["модель", "\u200b", "BERT"]
    assert piece_counts(tokenizer, words)[1] == 0
    enc = encode_words(tokenizer, words, 100, [1, 2, 3])
    assert [lab for lab in enc.labels if lab != IGNORE] == [1, 2, 3]
    assert tokenizer.convert_ids_to_tokens(enc.input_ids)[first_pieces(enc.word_ids)[1]] == "[UNK]"


def test_over_long_word_keeps_its_first_piece(tokenizer):
    word = "-".join(["из"] * 10)  # one word of 19 pieces
    enc = encode_words(tokenizer, [word], 5, [7])
    assert len(enc.input_ids) == 7 and enc.labels == [IGNORE, 7, IGNORE, IGNORE, IGNORE, IGNORE, IGNORE]
