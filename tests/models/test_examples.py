"""Training windows (defect 5): a window cut inside an entity opens it with B-X, so its CRF loss is normal."""

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("navec")

from ner.models.navec import NavecNet  # noqa: E402
from ner.records import Sentence  # noqa: E402
from ner.schema import load_schema  # noqa: E402

WORDS = ("Модель", "обучили", "на", "Common", "Crawl", "Corpus", "Big", "Set", "и", "выложили", ".")
TAGS = ("O", "O", "O", "B-Dataset", "I-Dataset", "I-Dataset", "I-Dataset", "I-Dataset", "O", "O", "O")


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return NavecNet(load_schema().tags, "".join(sorted(set("".join(WORDS)))), {"hidden": 16}, window=4, stride=1)


def test_a_window_cut_inside_an_entity_starts_with_b(net):
    sentence = Sentence(WORDS, TAGS)
    examples = net.examples([sentence])
    starts = [words[0] for words, _ in examples]
    assert starts == ["Модель", "Common", "Big", "выложили"]  # windows (0,4) (3,7) (6,10) (9,11)
    tags = [[net.tags[i] for i in ids] for _, ids in examples]
    assert tags[2] == ["B-Dataset", "I-Dataset", "O", "O"]  # "Big" continued the entity: now it opens one
    assert tags[1] == ["B-Dataset", "I-Dataset", "I-Dataset", "I-Dataset"]  # a real B-X stays
    assert tags[0] == ["O", "O", "O", "B-Dataset"]


def test_the_loss_of_a_cut_window_is_like_any_other(net):
    net.module.eval()  # no dropout: the losses compare like with like
    examples = net.examples([Sentence(WORDS, TAGS)])
    with torch.no_grad():
        losses = [net.loss([e]).item() for e in examples]
    # an I-X at the start costs the CRF's forbidden-move penalty (1e4); a valid window of 4 words
    # under a random model costs about 4 * log(17)
    assert max(losses) < 50, losses
    assert losses[2] < 3 * min(losses), losses


def test_transformer_windows_open_a_cut_entity_with_b(tiny_bert_dir):
    from ner.models.subwords import IGNORE
    from ner.models.transformer import TransformerNet

    net = TransformerNet.create(str(tiny_bert_dir), load_schema().tags, window=6, stride=2)
    examples = net.examples([Sentence(WORDS, TAGS)])
    assert len(examples) > 2
    for e, (a, _) in zip(examples, net._plan(WORDS)):
        first = next(label for label in e.labels if label != IGNORE)
        expected = TAGS[a] if not TAGS[a].startswith("I-") else "B-" + TAGS[a][2:]
        assert net.tags[first] == expected
    assert any(TAGS[a].startswith("I-") for a, _ in net._plan(WORDS))  # some window was cut inside the entity
