"""Training configuration: one dataclass, loadable from TOML, overridable by flags, saved with the model.

``load_config("train.toml")`` reads the keys at the top level or under a
``[train]`` table; an unknown key is a ``UserError`` naming the closest valid
one. ``TrainConfig.replace(**flags)`` applies command-line overrides (``None``
means "not given"). ``dump_config`` writes the final configuration beside the
model as JSON (``train_config.json``) and TOML (``train_config.toml``).

Left out: environment variables (none are read here).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from ..corpus import parse_map  # noqa: F401  (the map flag's parser; kept importable from here)
from ..errors import UserError

BACKBONES = ("navec", "navec-cnn", "transformer")


def _f(default, help: str):
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class TrainConfig:
    train: str = _f("", "training corpus (.conll, .jsonl, .csv, .spacy or a datasets dir)")
    dev: str = _f("", "development corpus for early stopping; empty: hold out dev_fraction of train")
    backbone: str = _f("navec", "navec (offline BiLSTM-CRF on natasha's embeddings), navec-cnn (the same features, "
                                "a CNN instead of the BiLSTM: faster) or transformer")
    base_model: str = _f("", "transformer only: the Hugging Face encoder to fine-tune (a hub name or a local "
                             "directory)")
    out: str = _f("models/ner", "model directory to write (replaced atomically at the end)")
    name: str = _f("", "model name (default: the last part of out)")
    labels: str = _f("", "label schema: a file, 'auto' (labels found in train), or empty for the default")
    map: str = _f("", "rename corpus labels, e.g. Person=PER,Org=ORG; labels neither mapped nor kept become O")
    keep: str = _f("", "keep these corpus labels under their own names, e.g. PERSON,DATE; the others become O")
    epochs: int = _f(30, "maximum number of epochs")
    patience: int = _f(6, "stop after this many epochs without a better dev F1")
    batch_size: int = _f(32, "sentences per optimizer step (a long sentence counts once per window)")
    lr: float = _f(0.0, "learning rate; 0: 2e-3 for navec, 5e-4 for navec-cnn, 5e-5 for transformer")
    weight_decay: float = _f(0.01, "AdamW weight decay")
    warmup: float = _f(0.1, "transformer only: fraction of steps with a rising learning rate")
    window: int = _f(0, "window size (words for navec, sub-word pieces for transformer); 0: default")
    stride: int = _f(-1, "overlap of consecutive windows (same unit); -1: default")
    dev_fraction: float = _f(0.1, "share of training sentences held out when no dev corpus is given")
    seed: int = _f(13, "random seed (data order, initialisation, dropout)")
    device: str = _f("", "cpu, cuda or cuda:N; empty: a GPU when present")
    bf16: bool = _f(True, "use bfloat16 autocast on a GPU that supports it")
    threads: int = _f(0, "CPU threads for torch; 0: OMP_NUM_THREADS when set, else 1 (on shared cores more "
                         "threads only wait on each other)")
    hidden: int = _f(128, "navec only: BiLSTM size per direction")
    dropout: float = _f(-1.0, "navec backbones: dropout; -1: the backbone's own (0.4 BiLSTM, 0.3 CNN)")
    layers: int = _f(1, "navec only: BiLSTM layers")
    word_dropout: float = _f(0.1, "navec only: share of words whose navec vector is hidden in training")
    lexicon: str = _f("", "navec only: a lexicon directory (<Label>.txt files, see annotation/lexicons/) whose "
                          "longest-match tags are a word feature, copied into the model; 'none': no lexicon; empty "
                          "(the default): the bundled annotation/lexicons/ when it lists one of the training labels")
    morph: bool = _f(True, "navec backbones: each word's dictionary grammemes (pymorphy3: first name, surname, "
                           "patronymic, place, organisation) as a word feature, kept in the model")
    natasha: bool = _f(False, "navec only: natasha's bundled news NER (slovnet: PER, LOC, ORG, offline) tags each "
                              "sentence and its tags are a word feature, so people, places and companies the lists "
                              "do not hold read as such; tagging takes longer")
    lexicon_dropout: float = _f(-1.0, "navec only: share of training sentences whose lexicon feature is hidden, so "
                                      "the model learns names the lists do not hold; -1: the backbone's own (0.5)")
    lexicon_span_dropout: float = _f(0.0, "navec only: share of the lists' matches hidden one by one in training "
                                          "(the rest of the sentence keeps its matches), so a name the lists do not "
                                          "hold is not taken for O because its neighbours are listed; 0: off")
    lexicon_boost: float = _f(0.0, "navec only: added to the score of the tag the lists give a word before the CRF "
                                   "decodes (like --o-bias: tagging and the final dev scores), so the lists weigh in "
                                   "where the network was not trained to lean on them; 0: off")
    lexicon_parts: bool = _f(False, "navec only: each word also carries which labels' other listed names hold it "
                                    "(by stem; the name the lists match there does not count), so a new name made "
                                    "of words of listed ones reads as its label")
    augment: float = _f(0.0, "mention replacement: share of training sentences with names whose names are swapped, "
                             "new each epoch, for other names of their label (from the training data or made up: "
                             "CamelCase, acronym+version, hyphenated, dotted, Cyrillic with case endings); 0: off")
    o_bias: float = _f(0.0, "navec backbones: subtracted from the O tag's score before the CRF decodes (tagging and "
                            "the final dev scores; epochs are chosen without it), so more names are found where the "
                            "model hesitates; 0: off")
    max_minutes: float = _f(0.0, "stop after the epoch that passes this many minutes; 0: no limit")
    lora: int = _f(0, "transformer only: train LoRA adapters of this rank (peft) instead of every weight, saved "
                      "merged; 0: full fine-tuning")

    def replace(self, **overrides) -> "TrainConfig":
        """A copy with the given values; ``None`` values are ignored, unknown keys refused."""
        given = _renamed({k: v for k, v in overrides.items() if v is not None})
        check_keys(given, "flags")
        return dataclasses.replace(self, **{k: _coerce(k, v, "flags") for k, v in given.items()})

    @property
    def model(self) -> str:
        """The old name of ``base_model`` (read-only; ``replace(model=...)`` still works)."""
        return self.base_model

    @property
    def model_name(self) -> str:
        return self.name or Path(self.out).name

    def validate(self, corpus: bool = True) -> None:
        """Raise ``UserError`` for a setting that cannot train; ``corpus=False``: no ``train`` file needed
        (``fit`` takes the sentences themselves)."""
        if corpus and not self.train:
            raise UserError("no training corpus: pass --train FILE or set train in the config")
        if self.backbone not in BACKBONES:
            raise UserError(f"--backbone {self.backbone!r} is unknown; use one of {', '.join(BACKBONES)}")
        if self.backbone == "transformer" and not self.base_model:
            raise UserError("the transformer backbone needs --base-model (a hub name or a local directory)")
        if self.lora and self.backbone != "transformer":
            raise UserError(f"--lora {self.lora}: LoRA adapters are for the transformer backbone")
        if self.morph and self.backbone in ("navec", "navec-cnn"):
            from ..models.morph import available

            if not available():
                raise UserError("the grammeme feature (--morph, on by default) needs pymorphy3: "
                                "pip install 'ner[train]', or pass --no-morph")
        if self.natasha and self.backbone != "navec":
            raise UserError(f"--natasha: natasha's tags are a feature of the navec backbone, not {self.backbone}; "
                            f"drop --natasha or use --backbone navec")
        if self.lexicon and self.lexicon.lower() != "none" and self.backbone != "navec":
            raise UserError(f"--lexicon {self.lexicon}: lexicon features are for the navec backbone; "
                            f"drop --lexicon or use --backbone navec")
        if self.lora < 0:
            raise UserError(f"--lora {self.lora}: a rank is 1 or more (0: no LoRA)")
        for key in ("epochs", "batch_size"):
            if getattr(self, key) < 1:
                raise UserError(f"--{key.replace('_', '-')} {getattr(self, key)}: must be at least 1")
        if not 0 < self.dev_fraction < 1:
            raise UserError(f"--dev-fraction {self.dev_fraction}: must be between 0 and 1")
        for key in ("hidden", "layers"):
            if getattr(self, key) < 1:
                raise UserError(f"--{key} {getattr(self, key)}: must be at least 1")
        if self.o_bias < 0:
            raise UserError(f"--o-bias {self.o_bias}: must be 0 or more (0: off)")
        if not 0 <= self.augment <= 1:
            raise UserError(f"--augment {self.augment}: a share between 0 and 1 (0: off)")
        lexicon_settings = [flag for flag, on in (("--lexicon-boost", self.lexicon_boost),
                                                  ("--lexicon-span-dropout", self.lexicon_span_dropout),
                                                  ("--lexicon-dropout", self.lexicon_dropout != -1),
                                                  ("--lexicon-parts", self.lexicon_parts)) if on]
        if lexicon_settings and (self.backbone != "navec" or self.lexicon.lower() == "none"):
            raise UserError(f"{lexicon_settings[0]}: a setting of the lexicon feature, which only the navec backbone "
                            f"with a lexicon has; drop it, or use --backbone navec without --lexicon none")
        if self.lexicon_boost < 0:
            raise UserError(f"--lexicon-boost {self.lexicon_boost}: must be 0 or more (0: off)")
        if not 0 <= self.lexicon_span_dropout <= 1:
            raise UserError(f"--lexicon-span-dropout {self.lexicon_span_dropout}: a share between 0 and 1 (0: off)")
        if self.lexicon_dropout != -1 and not 0 <= self.lexicon_dropout <= 1:
            raise UserError(f"--lexicon-dropout {self.lexicon_dropout}: a share between 0 and 1 (-1: the default)")
        for key in ("dropout", "word_dropout", "warmup"):
            if not 0 <= getattr(self, key) < 1 and not (key == "dropout" and self.dropout == -1):
                raise UserError(f"--{key.replace('_', '-')} {getattr(self, key)}: must be at least 0 and below 1")
        for key in ("lr", "weight_decay", "max_minutes", "threads"):
            if getattr(self, key) < 0:
                raise UserError(f"--{key.replace('_', '-')} {getattr(self, key)}: must be 0 or more")
        if self.window < 0 or self.stride < -1:
            raise UserError(f"--window {self.window} --stride {self.stride}: give a window of 1 or more (0: the "
                            f"default) and a stride of 0 or more (-1: the default)")
        if self.backbone == "navec":  # the transformer checks against its encoder's limit when it loads
            from ..models.navec import DEFAULT_STRIDE, DEFAULT_WINDOW

            window = self.window or DEFAULT_WINDOW
            stride = self.stride if self.stride >= 0 else DEFAULT_STRIDE
            if stride >= window:
                raise UserError(f"--stride {stride}{' (the default)' if self.stride < 0 else ''} must be smaller "
                                f"than --window {window}{' (the default)' if not self.window else ''}; "
                                f"pass --stride below {window}")

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


FIELDS = {f.name: f for f in fields(TrainConfig)}


# old key -> new key: still read, with a note (``parse_config(notes=...)``)
RENAMED = {"model": "base_model"}


def _renamed(data: dict, source: str = "", notes: list | None = None) -> dict:
    out = {}
    for key, value in data.items():
        if key in RENAMED and RENAMED[key] not in data:
            if notes is not None:
                notes.append(f"{source}: the key {key!r} is now {RENAMED[key]!r} (a trained model directory is "
                             f"--model elsewhere); rename it, the old name will stop working")
            key = RENAMED[key]
        out[key] = value
    return out


def check_keys(data: dict, source: str) -> None:
    for key in data:
        if key not in FIELDS:
            close = difflib.get_close_matches(key, list(FIELDS), n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else f"; valid keys: {', '.join(FIELDS)}"
            raise UserError(f"{source}: unknown key {key!r}{hint}")


def _coerce(key: str, value, source: str):
    kind = type(FIELDS[key].default)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is bool and not isinstance(value, bool) or not isinstance(value, kind):
        raise UserError(f"{source}: {key} must be {kind.__name__}, not {value!r}")
    return value


def parse_config(text: str, source: str = "<config>", notes: list | None = None) -> TrainConfig:
    """A config from TOML text (keys at the top level or under ``[train]``); notes about
    renamed keys go to ``notes``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise UserError(f"{source}: not valid TOML ({e})") from None
    if set(data) == {"train"} and isinstance(data["train"], dict):
        data = data["train"]
    data = _renamed(data, source, notes)
    check_keys(data, source)
    return TrainConfig(**{k: _coerce(k, v, source) for k, v in data.items()})


def load_config(path: str | Path, notes: list | None = None) -> TrainConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise UserError(f"{path}: cannot read the config ({e.strerror})") from None
    return parse_config(text, str(path), notes)


def format_config(config: TrainConfig) -> str:
    """TOML text of a config, each key with its help as a comment."""
    lines = []
    for key, value in config.as_dict().items():
        lines.append(f"# {FIELDS[key].metadata['help']}")
        text = str(value).lower() if isinstance(value, bool) else json.dumps(value, ensure_ascii=False)
        lines.append(f"{key} = {text}")
    return "\n".join(lines) + "\n"


def dump_config(config: TrainConfig, directory: str | Path) -> None:
    directory = Path(directory)
    (directory / "train_config.json").write_text(
        json.dumps(config.as_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    (directory / "train_config.toml").write_text(format_config(config), encoding="utf-8")
