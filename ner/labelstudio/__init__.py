"""Label Studio, both ways: labeling config, tasks <-> records, push, pull and export files.

``config.py`` (XML from the schema), ``layout.py`` (task text and size),
``tasks.py``, ``regions.py`` and ``offsets.py`` (pure JSON <-> records), ``annotations.py`` (which annotation counts), ``exports.py`` (UI
export files), ``client.py`` (the only network code) and ``sync.py`` (the
workflows). Nothing here imports the SDK until a connection is made.
"""

from .config import ConfigNames, config_names, format_labeling_config
from .tasks import document_tasks, spans_to_results, task_sentences

__all__ = ["ConfigNames", "config_names", "format_labeling_config", "document_tasks", "spans_to_results",
           "task_sentences"]
