"""The request an LLM annotator gets, and the answer it is taught to give.

``system_prompt(schema, guidelines)`` is one system message in Russian: the labels with their
definitions (``annotation/labels.toml``), the label table and boundary rules of
``annotation/guidelines.md`` and the answer's shape (about 4,600 characters); ``short_prompt``
is one line, for a model fine-tuned to answer without the long one. ``messages(text, system, shots)`` puts the
text to annotate last, verbatim, after optional example turns; ``format_answer`` writes the
assistant's answer for known spans (mentions in text order), which is what ``ner llm export``
teaches and ``place.parse_answer`` reads. ``response_format`` is the JSON schema of the answer
for servers that take structured output.

Left out: provider-specific prompt tricks; self-verification passes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..errors import UserError
from ..schema import Schema

# The guidelines' sections a model needs (the rest is about the Label Studio UI).
_SECTIONS = ("Метки", "Правила границ")


def default_guidelines_path() -> Path:
    return Path(__file__).resolve().parents[2] / "annotation" / "guidelines.md"


def load_guidelines(path: str | Path | None = None) -> str:
    """The guidelines text (``annotation/guidelines.md`` by default); '' when the default is absent."""
    target = Path(path) if path else default_guidelines_path()
    try:
        return target.read_text(encoding="utf-8")
    except OSError as e:
        if path is None:
            return ""
        raise UserError(f"{target}: cannot read the guidelines ({e.strerror}); check --guidelines") from None


def guideline_sections(text: str) -> str:
    """The label table and boundary rules of a guidelines file (its ``##`` sections of those names)."""
    parts = re.split(r"(?m)^## ", text)
    kept = [p.strip() for p in parts[1:] if p.split("\n", 1)[0].strip() in _SECTIONS]
    return "\n\n".join("## " + p for p in kept)


def short_prompt(schema: Schema) -> str:
    """A one-line system message for a model fine-tuned on ``ner llm export --short-prompt`` data:
    it learnt the rules from the examples, so only the labels and the answer's shape are named."""
    return (f"Извлеки именованные сущности ({', '.join(schema.names)}); ответ: JSON "
            '{"entities": [{"text": ..., "label": ...}]}')


def system_prompt(schema: Schema, guidelines: str = "") -> str:
    """The system message: task, labels, rules, answer format."""
    labels = "\n".join(f"- {label.name}: {label.description}".rstrip(": ") for label in schema.labels)
    rules = guideline_sections(guidelines)
    return "\n\n".join(part for part in (
        "Ты размечаешь именованные сущности в русском тексте. Найди в тексте пользователя все "
        "упоминания сущностей следующих типов.",
        "Метки:\n" + labels,
        rules,
        'Ответь только JSON вида {"entities": [{"text": "...", "label": "..."}]}: "text" — упоминание '
        "точно так, как оно написано в тексте, \"label\" — одна из меток выше. Перечисляй упоминания "
        "в порядке появления в тексте, каждое вхождение отдельно (если сущность встречается дважды, "
        'укажи её дважды). Если сущностей нет, ответь {"entities": []}.',
    ) if part)


def messages(text: str, system: str, shots=()) -> list[dict]:
    """The chat: system, then each ``(text, answer)`` example as user/assistant, then ``text`` verbatim."""
    out = [{"role": "system", "content": system}]
    for shot_text, answer in shots:
        out += [{"role": "user", "content": shot_text}, {"role": "assistant", "content": answer}]
    out.append({"role": "user", "content": text})
    return out


def format_answer(spans) -> str:
    """The answer for ``spans`` (objects with ``start``, ``text``, ``label``), mentions in text order.

    >>> from ner.records import Span
    >>> format_answer([Span(7, 11, "Model", "BERT")])
    '{"entities": [{"text": "BERT", "label": "Model"}]}'
    """
    ordered = sorted(spans, key=lambda s: (s.start, s.end))
    return json.dumps({"entities": [{"text": s.text, "label": s.label} for s in ordered]}, ensure_ascii=False)


def response_format(schema: Schema) -> dict:
    """The answer's JSON schema as ``response_format`` (OpenAI structured output)."""
    entity = {"type": "object", "additionalProperties": False, "required": ["text", "label"],
              "properties": {"text": {"type": "string"}, "label": {"type": "string", "enum": list(schema.names)}}}
    return {"type": "json_schema", "json_schema": {
        "name": "entities", "strict": True,
        "schema": {"type": "object", "additionalProperties": False, "required": ["entities"],
                   "properties": {"entities": {"type": "array", "items": entity}}}}}
