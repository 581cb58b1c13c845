"""The Label Studio ML backend: ``app`` (predict, setup, webhooks, projects), ``http`` (the
Starlette routes and auth), ``batching`` (requests merged into model calls) and ``retrain``
(new models from a project's annotations). ``ner serve`` runs it.

Nothing here imports ``ner.commands``; only ``retrain`` imports ``ner.train``.
"""

from .app import Backend, create_app

__all__ = ["Backend", "create_app"]
