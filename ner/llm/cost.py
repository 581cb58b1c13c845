"""Tokens and money: prices per million tokens, usage summed, estimates before sending.

``Prices`` come from flags or a TOML file (``[models."gpt-4o-mini"]`` with ``input``,
``output`` and ``training`` in currency per 1M tokens; ``load_prices``). ``estimate_tokens``
is a rough count (one token per ``CHARS_PER_TOKEN`` characters plus a few per message)
used by ``--dry-run`` and by ``ner llm export`` when no tokenizer is given; ``count_tokens``
uses a local Hugging Face tokenizer (``--tokenizer DIR``) when one is given. Reports say which.

Left out: provider-specific tokenizers that need a download (tiktoken's files).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError

CHARS_PER_TOKEN = 3.0   # Russian text in GPT-4o-class tokenizers: about 3-4 characters a token
PER_MESSAGE = 4         # role and separators of one chat message


@dataclass(frozen=True, slots=True)
class Prices:
    input: float = 0.0     # per 1M input (prompt) tokens
    output: float = 0.0    # per 1M output (completion) tokens
    training: float = 0.0  # per 1M training tokens (fine-tuning), per epoch

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        """>>> round(Prices(0.15, 0.60).cost(1_000_000, 500_000), 4)
        0.45
        """
        return (input_tokens * self.input + output_tokens * self.output) / 1_000_000

    def training_cost(self, tokens: int, epochs: int) -> float:
        return tokens * epochs * self.training / 1_000_000


def load_prices(path: str | Path, model: str) -> Prices:
    """The prices of ``model`` in a TOML file: ``[models."NAME"]`` tables, or ``[default]``."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise UserError(f"{path}: cannot read the prices ({e.strerror}); check --prices") from None
    except tomllib.TOMLDecodeError as e:
        raise UserError(f"{path}: not valid TOML ({e}); see configs/llm_prices.toml") from None
    table = data.get("models", {}).get(model) or data.get("default")
    if table is None:
        raise UserError(f"{path}: no [models.\"{model}\"] table and no [default]; models there: "
                        f"{', '.join(data.get('models', {})) or 'none'}")
    try:
        return Prices(*(float(table.get(k, 0.0)) for k in ("input", "output", "training")))
    except (TypeError, ValueError):
        raise UserError(f"{path}: prices of {model!r} must be numbers (per 1M tokens)") from None


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def message_tokens(messages, tokenizer=None) -> int:
    """Tokens of a chat's messages: counted by ``tokenizer`` when given, else estimated."""
    if tokenizer is not None:
        return sum(len(tokenizer.encode(m["content"], add_special_tokens=False)) + PER_MESSAGE for m in messages)
    return sum(estimate_tokens(m["content"]) + PER_MESSAGE for m in messages)


def load_tokenizer(path: str | None):
    """A local Hugging Face tokenizer directory (offline), or None when no path is given."""
    if not path:
        return None
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError) as e:
        raise UserError(f"--tokenizer {path}: cannot load a tokenizer there ({str(e).splitlines()[0]}); "
                        f"give a local tokenizer directory or leave it out for an estimate") from None
