"""The navec backbones built from parts (``TagNet(words, encoder, head)``): what each backbone is made of,
directories saved with the flat weight names of the code before the parts load and tag the same, and the
shape rules (no network class defined inside a builder, no ``__class__`` swap, one writer of ``ner_model.json``)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("navec")
torch = pytest.importorskip("torch")

NER = Path(__file__).resolve().parent.parent.parent / "ner"
TAGS = ("O", "B-Model", "I-Model", "B-Date", "I-Date")
CHARS = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"
WORDS = [["Модель", "BERT", "обучили", "в", "2018", "году", "."], ["Ёжик", "и", "GPT-3"], ["😀"], []]
# The names torch.save wrote before the parts existed (a BiLSTM with grammemes, read from a directory
# trained on the code of main at d50001b); a CNN had convs.K.* in place of lstm.*.
FLAT_BILSTM = ["char_cnn.bias", "char_cnn.weight", "chars.weight", "crf.end", "crf.start", "crf.transitions",
               "lstm.bias_hh_l0", "lstm.bias_hh_l0_reverse", "lstm.bias_ih_l0", "lstm.bias_ih_l0_reverse",
               "lstm.weight_hh_l0", "lstm.weight_hh_l0_reverse", "lstm.weight_ih_l0", "lstm.weight_ih_l0_reverse",
               "morph.weight", "morph_of_word", "out.bias", "out.weight", "shape.weight"]
FLAT_CNN = ["char_cnn.bias", "char_cnn.weight", "chars.weight", "convs.0.bias", "convs.0.weight", "convs.1.bias",
            "convs.1.weight", "crf.end", "crf.start", "crf.transitions", "out.bias", "out.weight", "shape.weight"]


def _randomised(net):
    """Weights far from their initial values, so a misplaced tensor would change the tags."""
    torch.manual_seed(5)
    with torch.no_grad():
        for p in net.module.parameters():
            p.normal_(0.0, 0.5)
        for name, buffer in net.module.named_buffers():
            if name.endswith("morph_of_word"):
                buffer.copy_(torch.randint(0, 32, buffer.shape, dtype=torch.uint8))
    net.module.eval()
    return net


def _navec():
    from ner.models.navec import NavecNet

    return _randomised(NavecNet(TAGS, CHARS, {"hidden": 8, "morph_dim": 4}))


def _cnn():
    from ner.models.cnn import CNNNet

    return _randomised(CNNNet(TAGS, CHARS, {"filters": [8, 6], "dilations": [1, 2]}))


def test_each_backbone_is_its_parts():
    from ner.models.encoders import BiLSTMEncoder, CNNEncoder
    from ner.models.tagnet import CRFHead, TagNet
    from ner.models.words import WordFeatures

    for net, encoder in ((_navec(), BiLSTMEncoder), (_cnn(), CNNEncoder)):
        module = net.module
        assert type(module) is TagNet and type(module.encoder) is encoder
        assert type(module.words) is WordFeatures and type(module.head) is CRFHead
        assert module.crf is module.head.crf
    assert not any("lstm" in name for name, _ in _cnn().module.named_parameters())  # no LSTM built and dropped


@pytest.mark.parametrize("make, flat", [(_navec, FLAT_BILSTM), (_cnn, FLAT_CNN)])
def test_a_directory_with_the_flat_names_of_before_loads_and_tags_the_same(make, flat, tmp_path):
    from ner.models import load_model

    net = make()
    net.save(tmp_path, "old", ["Model", "Date"])
    state = torch.load(tmp_path / "model.pt", weights_only=True)
    old = {key.split(".", 1)[1]: value for key, value in state.items()}  # words.shape.weight -> shape.weight
    assert sorted(old) == flat
    torch.save(old, tmp_path / "model.pt")
    model = load_model(tmp_path, device="cpu")
    loaded = model.net.module.state_dict()
    assert sorted(loaded) == sorted(state) and all(torch.equal(loaded[k], state[k]) for k in state)
    expected = net.predict_with_probabilities(WORDS)
    got = model.predict_with_probabilities(WORDS)
    assert [p.tags for p, _ in got] == [p.tags for p, _ in expected]
    assert any(t != "O" for p, _ in got for t in p.tags)  # the comparison sees entities
    for (_, a), (_, b) in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_new_directories_keep_the_nested_names(tmp_path):
    net = _navec()
    net.save(tmp_path, "new", ["Model", "Date"])
    names = sorted(torch.load(tmp_path / "model.pt", weights_only=True))
    assert names == sorted(f"{ {'lstm': 'encoder', 'out': 'head', 'crf': 'head'}.get(n.split('.')[0], 'words')}.{n}"
                           for n in FLAT_BILSTM)


def _modules(under: Path):
    return [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(under.rglob("*.py"))]


def test_no_network_class_is_defined_inside_a_function_and_none_swaps_its_class():
    nested, swaps = [], []
    for path, tree in _modules(NER / "models"):
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                nested += [f"{path.name}:{n.lineno} {n.name}" for n in ast.walk(node) if isinstance(n, ast.ClassDef)
                           and any(isinstance(b, ast.Attribute) and b.attr == "Module" or
                                   isinstance(b, ast.Name) and b.id in ("base", "Module") for b in n.bases)]
            if isinstance(node, ast.Assign):
                swaps += [f"{path.name}:{node.lineno}" for t in node.targets
                          if isinstance(t, ast.Attribute) and t.attr == "__class__"]
    assert (nested, swaps) == ([], [])


def test_ner_model_json_has_one_writer():
    """``base.write_model_info``: every backbone, the ensemble and LoRA save through it."""
    writes = re.compile(r"(MODEL_FILE|ner_model\.json\"?)\)?\.write_text|info_file\.write_text")
    offenders = [f"{p.relative_to(NER.parent)}:{i}" for p in sorted(NER.rglob("*.py")) if p.name != "base.py"
                 for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if writes.search(line)]
    assert offenders == []
