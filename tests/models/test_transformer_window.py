"""The transformer's window fits the encoder's real input limit (defect 6), through ``from_pretrained``.

RoBERTa-family encoders start position ids after ``padding_idx``: 514 positions hold 512
pieces, 510 words' pieces once <s> and </s> are added. The tiny encoders here are built
locally (``tests/plugins/models.py``) and loaded the way a user's hub model is.
"""

import pytest

pytest.importorskip("transformers")

from ner.errors import UserError  # noqa: E402
from ner.models.transformer import TransformerNet  # noqa: E402
from ner.records import Sentence  # noqa: E402
from ner.schema import load_schema  # noqa: E402
from tests.plugins.models import build_tiny_bert, build_tiny_roberta  # noqa: E402

WORDS = ["Обучение", "BERT", "на", "Alpaca", "от", "Stanford", "."]


@pytest.fixture(scope="module")
def roberta_dir(tmp_path_factory):
    return build_tiny_roberta(tmp_path_factory.mktemp("tiny-roberta") / "roberta", max_positions=514)


def test_roberta_window_is_its_positions_less_offset_and_specials(roberta_dir):
    net = TransformerNet.create(str(roberta_dir), load_schema().tags)
    assert net.window == 514 - 2 - 2


def test_roberta_refuses_a_window_its_positions_cannot_hold(roberta_dir):
    with pytest.raises(UserError, match=r"--window 512: .* at most 510 .*514 positions less 2 skipped"):
        TransformerNet.create(str(roberta_dir), load_schema().tags, window=512)


def test_roberta_runs_windows_of_the_full_limit(roberta_dir):
    schema = load_schema()
    net = TransformerNet.create(str(roberta_dir), schema.tags, window=510)
    words = WORDS * 120  # 840 words, well over one window
    assert len(net._plan(words)) > 1
    [probs] = net.probabilities([words])
    assert probs.shape == (len(words), len(schema.tags))
    examples = net.examples([Sentence(tuple(words), ("O",) * len(words))])
    assert max(len(e.input_ids) for e in examples) == 512  # the whole limit is used, never more
    assert net.loss(examples[:1]).item() > 0


def test_tokenizer_model_max_length_is_the_limit_when_smaller(tmp_path):
    path = build_tiny_roberta(tmp_path / "roberta", max_positions=514, model_max_length=20)
    net = TransformerNet.create(str(path), load_schema().tags)
    assert net.window == 18
    [probs] = net.probabilities([WORDS * 10])
    assert probs.shape[0] == 70


def test_bert_positions_have_no_offset(tmp_path):
    path = build_tiny_bert(tmp_path / "bert", max_positions=40)
    assert TransformerNet.create(str(path), load_schema().tags).window == 38
